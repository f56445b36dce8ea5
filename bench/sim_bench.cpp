// Simulator throughput: scheduler events/s at 1,000 and 100,000 pending events, message
// deliveries/s through the link model alone, and through the full SimHost path (trace,
// counters, replica step) with a trivial forwarding replica. Wall-clock figures; they
// are printed, never asserted.
#include <cstdio>
#include <cstring>
#include <memory>
#include <queue>
#include <utility>
#include <vector>

#include "protocols/message.hpp"
#include "sim/network.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"
#include "sim/simulation.hpp"

using namespace knhk;
using namespace knhk::sim;
#include <time.h>

namespace {

// Rates use this thread's CPU time, so that other processes sharing the machine do not
// distort them (the figure is what one core does); wall time is close when it is idle.
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
};

double seconds_since(double start) {
  return Clock::now() - start;
}

// Each event reschedules itself a pseudo-random delay ahead, so the queue size stays fixed.
struct Rescheduler final : EventTarget {
  Scheduler* s = nullptr;
  std::uint64_t x = 88172645463325252ULL;  // xorshift state: cheaper than any Rng call
  void on_event(std::uint64_t arg) override {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->after(Duration{static_cast<std::int64_t>(x % 1000000)}, this, arg);
  }
};

// The reference point of issue 2: a bare std::priority_queue of (time, seq) pairs,
// pop + push, measured under the same conditions as ours.
void bench_priority_queue(std::size_t pending, std::uint64_t events) {
  using Item = std::pair<std::int64_t, std::uint64_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> q;
  Rng rng(1);
  std::uint64_t seq = 0, x = 88172645463325252ULL;
  for (std::size_t i = 0; i < pending; ++i)
    q.push({static_cast<std::int64_t>(rng.below(1000000)), seq++});
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < events; ++i) {
    const Item top = q.top();
    q.pop();
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    q.push({top.first + static_cast<std::int64_t>(x % 1000000), seq++});
  }
  const double secs = seconds_since(start);
  std::printf("bare std::priority_queue pending %7zu : %6.2f M events/s\n", pending,
              static_cast<double>(events) / secs / 1e6);
}

void bench_scheduler(std::size_t pending, std::uint64_t events) {
  Scheduler s;
  Rescheduler r;
  r.s = &s;
  Rng rng(1);
  for (std::size_t i = 0; i < pending; ++i)
    s.at(Time{static_cast<std::int64_t>(rng.below(1000000))}, &r, i);
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < events; ++i) s.step();
  const double secs = seconds_since(start);
  std::printf("sim::Scheduler           pending %7zu : %6.2f M events/s  (%llu events in %.3f s)\n",
              pending, static_cast<double>(events) / secs / 1e6,
              static_cast<unsigned long long>(events), secs);
}

// Link model only: route() decides fate and delay, the scheduler carries the message,
// delivery counts it and the receiver sends the next one to its neighbour.
struct LinkLoop final : EventTarget {
  Scheduler* s = nullptr;
  Network* net = nullptr;
  std::uint32_t n = 0;
  std::uint64_t delivered = 0;
  void send(std::uint32_t from) {
    const std::uint32_t to = (from + 1) % n;
    const Fate f = net->route(s->now(), Principal::replica(NodeId(from)),
                              Principal::replica(NodeId(to)), 200, "bench.msg");
    // Only the first copy carries the chain on, so the number in flight stays constant.
    for (int i = 0; i < f.copies; ++i)
      s->after(f.delay[i], this, to | (static_cast<std::uint64_t>(i) << 32));
    if (f.copies == 0) s->after(Duration{1000}, this, to);  // keep the loop alive
  }
  void on_event(std::uint64_t arg) override {
    net->count_delivered("bench.msg", 200);
    ++delivered;
    if ((arg >> 32) == 0) send(static_cast<std::uint32_t>(arg));
  }
};

void bench_link_model(std::uint64_t deliveries) {
  NetworkConfig cfg;
  cfg.latency = LatencyModel::uniform(Duration::millis_(25), Duration::millis_(35));
  cfg.drop = 0.01;
  cfg.duplicate = 0.01;
  const std::uint32_t n = 7;
  Scheduler s;
  Network net(cfg, n, 0, Rng(2));
  LinkLoop loop;
  loop.s = &s;
  loop.net = &net;
  loop.n = n;
  for (std::uint32_t i = 0; i < 1000; ++i) loop.send(i % n);  // 1,000 messages in flight
  const auto start = Clock::now();
  while (loop.delivered < deliveries) s.step();
  const double secs = seconds_since(start);
  std::printf(
      "network    link model      : %6.2f M deliveries/s  (uniform 25-35ms, 1%% drop, "
      "1%% dup, 1,000 in flight)\n",
      static_cast<double>(loop.delivered) / secs / 1e6);
}

// Full host path: every delivered message makes the replica forward it to its neighbour
// (send + route + trace + deliver + trace + replica step).
class ForwardReplica : public Replica {
 public:
  explicit ForwardReplica(const ReplicaSetup& s) : id_(s.id), n_(s.params.nodes) {}
  void step(Time, const Input& input, Effects& out) override {
    if (std::get_if<StartInput>(&input)) {
      for (int i = 0; i < 100; ++i) out.send(NodeId((id_.value + 1) % n_), seed_message());
    } else if (auto* m = std::get_if<MessageInput>(&input)) {
      out.send(NodeId((id_.value + 1) % n_), m->msg);
    }
  }
  ReplicaStatus status() const override { return {}; }

 private:
  static MessagePtr seed_message() {
    static const MessagePtr m =
        make_message(Request{ClientId(0), RequestId(1), Bytes(64, 7), {}, {}});
    return m;
  }
  NodeId id_;
  std::uint32_t n_;
};

void bench_host_path(Duration simulated) {
  SimulationConfig cfg;
  cfg.params.nodes = 7;
  cfg.clients.count = 0;
  cfg.network.latency = LatencyModel::uniform(Duration::millis_(25), Duration::millis_(35));
  Simulation sim(cfg, [](const ReplicaSetup& s) { return std::make_unique<ForwardReplica>(s); });
  const auto start = Clock::now();
  sim.run_until(Time{} + simulated);
  const double secs = seconds_since(start);
  const auto delivered = sim.network().totals().delivered;
  std::printf(
      "simulation host path       : %6.2f M deliveries/s  (%llu deliveries, %llu trace "
      "events, digest %s)\n",
      static_cast<double>(delivered) / secs / 1e6, static_cast<unsigned long long>(delivered),
      static_cast<unsigned long long>(sim.trace().events()),
      sim.trace_digest().short_hex().c_str());
}

}  // namespace

// `bench_sim_bench [scheduler|network|host]...` runs the named parts (default: all).
int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "scheduler") != 0 && std::strcmp(argv[i], "network") != 0 &&
        std::strcmp(argv[i], "host") != 0) {
      std::fprintf(stderr, "usage: %s [scheduler|network|host]...\n", argv[0]);
      return 2;
    }
  }
  auto wanted = [&](const char* part) {
    if (argc < 2) return true;
    for (int i = 1; i < argc; ++i)
      if (std::strcmp(argv[i], part) == 0) return true;
    return false;
  };
  if (wanted("scheduler")) {
    bench_priority_queue(1000, 20000000);
    bench_scheduler(1000, 20000000);
    bench_priority_queue(100000, 10000000);
    bench_scheduler(100000, 10000000);
  }
  if (wanted("network")) bench_link_model(10000000);
  if (wanted("host")) bench_host_path(Duration::secs(60));
  return 0;
}
