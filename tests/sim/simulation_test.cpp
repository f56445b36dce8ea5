// The simulated cluster with fake replicas: message paths, timers, crash/restart with
// durable storage, clients in both loop modes, the trace, and determinism.
#include <catch2/catch.hpp>

#include <sstream>

#include "sim/simulation.hpp"
#include "tests/sim/fake_replicas.hpp"
#include "tests/support/smaps.hpp"

using namespace knhk;
using namespace knhk::sim;
using knhk::simtest::EchoReplica;
using knhk::simtest::TimerLog;
using knhk::simtest::TimerReplica;

namespace {
ReplicaFactory echo_factory() {
  return [](const ReplicaSetup& s) { return std::make_unique<EchoReplica>(s); };
}
SimulationConfig echo_config(std::uint64_t seed) {
  SimulationConfig c;
  c.seed = seed;
  c.params.nodes = 4;
  c.network.latency = LatencyModel::uniform(Duration::millis_(5), Duration::millis_(15));
  c.network.drop = 0.05;
  c.network.duplicate = 0.05;
  c.clients.count = 3;
  c.clients.mode = ClientConfig::Mode::closed;
  c.clients.outstanding = 2;
  c.clients.request_timeout = Duration::millis_(200);
  return c;
}
Time ms(std::int64_t v) {
  return Time{} + Duration::millis_(v);
}
// Four TimerReplicas writing to `log` and no clients: timers, crashes and restarts are
// all that happens.
Simulation timer_cluster(std::shared_ptr<TimerLog> log) {
  SimulationConfig cfg;
  cfg.params.nodes = 4;
  cfg.clients.count = 0;
  return Simulation(
      cfg, [log](const ReplicaSetup& s) { return std::make_unique<TimerReplica>(s, log); });
}
std::vector<Time> fire_times(const TimerLog& log, NodeId node, TimerId id) {
  std::vector<Time> out;
  for (const auto& [n, t, at] : log.fired)
    if (n == node && t == id) out.push_back(at);
  return out;
}
}  // namespace

TEST_CASE("simulation: clients complete requests through the echo cluster", "[sim][cluster]") {
  Simulation sim(echo_config(1), echo_factory());
  sim.run_until(ms(2000));
  const RunRecord& rec = sim.record();
  REQUIRE(rec.operations.size() > 100);
  // Closed loop: everything but the last `outstanding` per client completed.
  REQUIRE(rec.completed_operations() + 3 * 2 >= rec.operations.size());
  for (const auto& op : rec.operations) {
    if (!op.completed) continue;
    REQUIRE(op.result == op.operation);  // the echo result, f+1 matching
    REQUIRE(*op.completed > op.submitted);
  }
  // Every replica commits every completed request (drops are retransmitted by clients).
  REQUIRE(rec.commits_of(NodeId(0)).size() >= rec.completed_operations());
  REQUIRE(rec.messages.at("request").sent > 0);
  REQUIRE(rec.messages.at("reply").delivered > 0);
  REQUIRE(rec.messages.at("request").dropped > 0);  // 5% loss is visible
  REQUIRE(sim.status(NodeId(2))->committed.value > 0);
}

TEST_CASE("simulation: same seed gives the same trace digest, another seed a different one",
          "[sim][determinism]") {
  auto run = [](std::uint64_t seed) {
    Simulation sim(echo_config(seed), echo_factory());
    sim.schedule(ms(300), [&] { sim.crash(NodeId(3)); });
    sim.schedule(ms(700), [&] { sim.restart(NodeId(3)); });
    sim.schedule(ms(400), [&] { sim.network().set_partition({{NodeId(0)}}); });
    sim.schedule(ms(600), [&] { sim.network().heal(); });
    sim.run_until(ms(1500));
    return std::make_pair(sim.trace_digest(), sim.trace().events());
  };
  const auto a = run(5), b = run(5), c = run(6);
  REQUIRE(a.second > 1000);
  REQUIRE(a == b);
  REQUIRE(a.first != c.first);
}

TEST_CASE("simulation: the trace sink gets one JSON line per event, digest unchanged",
          "[sim][trace]") {
  std::ostringstream file;
  Simulation with_sink(echo_config(3), echo_factory());
  with_sink.set_trace_sink(&file);
  with_sink.run_until(ms(300));
  Simulation without(echo_config(3), echo_factory());
  without.run_until(ms(300));
  REQUIRE(with_sink.trace_digest() == without.trace_digest());
  std::istringstream lines(file.str());
  std::string line;
  std::uint64_t count = 0;
  bool saw_send = false, saw_deliver = false, saw_commit = false;
  while (std::getline(lines, line)) {
    ++count;
    REQUIRE(line.rfind("{\"time_ns\":", 0) == 0);
    REQUIRE(line.back() == '}');
    saw_send |= line.find("\"kind\":\"send\"") != std::string::npos;
    saw_deliver |= line.find("\"kind\":\"deliver\"") != std::string::npos;
    saw_commit |= line.find("\"kind\":\"commit\"") != std::string::npos;
  }
  REQUIRE(count == with_sink.trace().events());
  REQUIRE((saw_send && saw_deliver && saw_commit));
}

TEST_CASE("trace: JSON fields come in a fixed order, clients as c<id>", "[sim][trace]") {
  TraceEvent e(Time{1500}, TraceKind::drop, Principal::replica(NodeId(2)), "pbft.prepare");
  e.to = Principal::client(ClientId(4));
  e.view = 3;
  e.seq = 9;
  e.size = 120;
  e.fault = "cut";
  e.detail = "a \"quoted\" reason";
  REQUIRE(Trace::to_json(e) ==
          R"({"time_ns":1500,"kind":"drop","node":2,"type":"pbft.prepare","to":"c4",)"
          R"("view":3,"seq":9,"size":120,"fault":"cut","detail":"a \"quoted\" reason"})");
  Trace t1, t2;
  t1.record(e);
  e.seq = 10;
  t2.record(e);
  REQUIRE(t1.digest() != t2.digest());
  REQUIRE(t1.digest() == t1.digest());  // asking for the digest does not change it
}

TEST_CASE("simulation: timers fire, re-arm replaces, cancel works, skew shifts now",
          "[sim][timers]") {
  auto log = std::make_shared<TimerLog>();
  Simulation sim = timer_cluster(log);
  sim.network().set_clock_skew(NodeId(1), Duration::millis_(300));
  sim.run_until(ms(100));
  REQUIRE(fire_times(*log, NodeId(0), 1) == std::vector<Time>{ms(10)});
  REQUIRE(fire_times(*log, NodeId(0), 2) == std::vector<Time>{ms(60)});   // re-armed at 10ms
  REQUIRE(fire_times(*log, NodeId(0), 3).empty());                        // cancelled
  REQUIRE(fire_times(*log, NodeId(0), 4) == std::vector<Time>{ms(15)});   // re-armed earlier
  REQUIRE(fire_times(*log, NodeId(0), 5) == std::vector<Time>{ms(50)});   // cancelled, re-armed
  REQUIRE(fire_times(*log, NodeId(0), 7).size() == 10);                   // 10, 20, ..., 100
  REQUIRE(fire_times(*log, NodeId(1), 1) == std::vector<Time>{ms(310)});  // its clock is skewed
}

TEST_CASE("simulation: crash loses volatile state and timers; restart recovers the store",
          "[sim][crash]") {
  auto log = std::make_shared<TimerLog>();
  Simulation sim = timer_cluster(log);
  sim.schedule(ms(25), [&] { sim.crash(NodeId(2)); });
  sim.schedule(ms(100), [&] { sim.restart(NodeId(2)); });
  sim.run_until(ms(135));
  const auto periodic = fire_times(*log, NodeId(2), 7);
  // Fired at 10, 20; nothing while crashed; after the restart at 100: 110, 120, 130.
  REQUIRE(periodic == std::vector<Time>{ms(10), ms(20), ms(110), ms(120), ms(130)});
  // Timer 2, re-armed for 60ms before the crash, dies with it; after the restart the new
  // instance re-arms it for 160ms, beyond the end of the run.
  REQUIRE(fire_times(*log, NodeId(2), 2).empty());
  REQUIRE(fire_times(*log, NodeId(2), 1) == std::vector<Time>{ms(10), ms(110)});
  REQUIRE(fire_times(*log, NodeId(1), 2) == std::vector<Time>{ms(60)});
  REQUIRE(log->boots.back() == std::make_pair(NodeId(2), std::uint64_t{2}));
  REQUIRE(simtest::read_u64(&sim.durable_store(NodeId(2)), "boots") == 2);
  const RunRecord& rec = sim.record();
  REQUIRE(rec.crashes == 1);
  REQUIRE(rec.restarts == 1);
  REQUIRE(rec.is_faulty(NodeId(2)));
  REQUIRE_FALSE(rec.is_faulty(NodeId(1)));
}

TEST_CASE("simulation: a crashed replica gets nothing, the rest keep serving clients",
          "[sim][crash]") {
  auto cfg = echo_config(4);
  cfg.network.drop = 0;
  cfg.network.duplicate = 0;
  Simulation sim(cfg, echo_factory());
  sim.run_until(ms(200));
  const auto before = sim.status(NodeId(3))->committed.value;
  REQUIRE(before > 0);
  sim.crash(NodeId(3));
  REQUIRE_FALSE(sim.status(NodeId(3)).has_value());
  REQUIRE(sim.replica(NodeId(3)) == nullptr);
  const auto completed_at_crash = sim.record().completed_operations();
  sim.run_until(ms(600));
  REQUIRE(sim.record().completed_operations() > completed_at_crash + 20);  // f+1 = 2 of 3 left
  REQUIRE(sim.record().commits_of(NodeId(3)).size() == before);
  sim.restart(NodeId(3));
  // Volatile state is gone: the new instance starts counting from zero.
  REQUIRE(sim.status(NodeId(3))->committed.value == 0);
  REQUIRE(dynamic_cast<EchoReplica*>(sim.replica(NodeId(3)))->boots() == 2);
  sim.run_until(ms(800));
  REQUIRE(sim.status(NodeId(3))->committed.value > 0);
}

TEST_CASE("simulation: partitioned replicas stop hearing each other; clients still reach them",
          "[sim][partition]") {
  auto cfg = echo_config(8);
  cfg.network.drop = 0;
  cfg.network.duplicate = 0;
  Simulation sim(cfg, echo_factory());
  sim.network().set_partition({{NodeId(0), NodeId(1)}});  // {2,3} is the other group
  sim.run_until(ms(500));
  const auto c = sim.record().messages;
  REQUIRE(c.at("request").dropped > 0);  // forwards across the cut
  // Everyone still commits everything: clients send to all replicas directly.
  REQUIRE(sim.status(NodeId(0))->committed.value >= sim.record().completed_operations());
}

namespace {
// 4 replicas and 4 open-loop clients offering 2,000 requests/s for the first second.
SimulationConfig open_loop_config() {
  SimulationConfig cfg;
  cfg.params.nodes = 4;
  cfg.clients.count = 4;
  cfg.clients.mode = ClientConfig::Mode::open;
  cfg.clients.rate_per_second = 2000;
  cfg.clients.stop_at = ms(1000);
  return cfg;
}
}  // namespace

TEST_CASE("simulation: open loop submits Poisson arrivals at the configured rate",
          "[sim][clients]") {
  SimulationConfig cfg = open_loop_config();
  cfg.seed = 12;
  Simulation sim(cfg, echo_factory());
  sim.run_until(ms(1500));
  const RunRecord& rec = sim.record();
  REQUIRE(rec.operations.size() == Approx(2000).epsilon(0.06));
  for (const auto& op : rec.operations) REQUIRE(op.submitted < ms(1000));
  REQUIRE(rec.completed_operations() == rec.operations.size());  // drained after stop_at
  std::set<std::uint32_t> clients;
  for (const auto& op : rec.operations) clients.insert(op.client.value);
  REQUIRE(clients.size() == 4);
}

TEST_CASE("simulation: an open-loop run with a stop time reserves its record, and only then",
          "[sim][clients]") {
  SimulationConfig cfg = open_loop_config();
  cfg.params.batch_size = 10;
  {
    Simulation sim(cfg, echo_factory());
    // 2,000 operations (+5%), and 4 replicas' commits of batches of 10 counted 2/3 full.
    CHECK(sim.record().operations.capacity() >= 2100);
    CHECK(sim.record().operations.capacity() < 2300);
    CHECK(sim.record().commits.capacity() >= 4 * 315);
    CHECK(sim.record().commits.capacity() < 4 * 340);
    // Both kept off huge pages (sim/page_advice.hpp): a page inside each buffer is advised.
    const auto* ops = reinterpret_cast<const char*>(sim.record().operations.data());
    const auto* commits = reinterpret_cast<const char*>(sim.record().commits.data());
    CHECK(knhk::testing::advised_small_pages(ops + 8192));
    CHECK(knhk::testing::advised_small_pages(commits + 8192));
    sim.run_until(ms(1500));
    CHECK(sim.record().operations.size() == Approx(2000).epsilon(0.06));
  }
  cfg.clients.rate_per_second = 1e12;  // a typo: capped, not terabytes
  {
    Simulation huge(cfg, echo_factory());
    CHECK(huge.record().operations.capacity() <= 2'000'000);
    CHECK(huge.record().commits.capacity() <= 2'000'000);
  }
  cfg.clients.stop_at.reset();  // no stop time: nothing to go by
  CHECK(Simulation(cfg, echo_factory()).record().operations.capacity() == 0);
  cfg.clients.stop_at = ms(1000);
  cfg.clients.mode = ClientConfig::Mode::closed;
  CHECK(Simulation(cfg, echo_factory()).record().operations.capacity() == 0);
}

TEST_CASE("simulation: a lost reply is recovered by client retransmission", "[sim][clients]") {
  auto cfg = echo_config(9);
  cfg.network.drop = 0;
  cfg.network.duplicate = 0;
  cfg.clients.count = 1;
  cfg.clients.generate_load = false;
  Simulation sim(cfg, echo_factory());
  // Replies to client 0 are lost for the first 150ms.
  const auto h = sim.network().add_link_fault(
      {EndpointMatch::any(), EndpointMatch::client(ClientId(0)), {}, 1.0, 0.0, "no-replies"});
  sim.schedule(ms(150), [&] { sim.network().remove_link_fault(h); });
  sim.submit(ClientId(0), Bytes{5});
  sim.run_until(ms(600));
  const auto& op = sim.record().operations.at(0);
  REQUIRE(op.completed.has_value());
  REQUIRE(*op.completed >= ms(200));  // after the first retransmission (timeout 200ms)
  REQUIRE(op.retransmissions == 1);
  REQUIRE(op.result == Bytes{5});
}

TEST_CASE("trace: the digest covers type names, including transient and empty ones",
          "[sim][trace]") {
  auto digest_of = [](std::vector<std::string> types) {
    Trace t;
    for (const std::string& type : types)
      t.record(TraceEvent(Time{}, TraceKind::protocol, {}, type));
    return t.digest();
  };
  // Same names in the same order: same digest, whatever their addresses.
  REQUIRE(digest_of({"", "a", "bb", "a", ""}) == digest_of({"", "a", "bb", "a", ""}));
  REQUIRE(digest_of({"a", "b"}) != digest_of({"a", "c"}));
  REQUIRE(digest_of({"a", "b", "a"}) != digest_of({"a", "b", "b"}));
  // A transient string at a reused address must not inherit another name's id.
  Trace t1, t2;
  std::string reused = "first";
  t1.record(TraceEvent(Time{}, TraceKind::protocol, {}, reused));
  reused.replace(0, 5, "other");  // same buffer, other content
  t1.record(TraceEvent(Time{}, TraceKind::protocol, {}, reused));
  const std::string a = "first", b = "other";
  t2.record(TraceEvent(Time{}, TraceKind::protocol, {}, a));
  t2.record(TraceEvent(Time{}, TraceKind::protocol, {}, b));
  REQUIRE(t1.digest() == t2.digest());
}

TEST_CASE(
    "simulation: messages in flight to a replica that crashed are lost even if it is "
    "back when they arrive",
    "[sim][crash]") {
  auto cfg = echo_config(10);
  cfg.network.drop = 0;
  cfg.network.duplicate = 0;
  cfg.network.latency = LatencyModel::constant(Duration::millis_(10));
  Simulation sim(cfg, echo_factory());
  std::ostringstream trace;
  sim.set_trace_sink(&trace);
  sim.run_until(ms(95));  // requests and forwards to node 3 are in flight now
  sim.crash(NodeId(3));
  sim.restart(NodeId(3));  // back at once, a new incarnation
  sim.run_until(ms(101));  // their arrival time (sent at 90ms, 10ms links)
  const auto lost = sim.network().counters_by_type().at("request").dropped;
  REQUIRE(lost > 0);
  std::size_t lines = 0;
  std::istringstream in(trace.str());
  for (std::string line; std::getline(in, line);)
    if (line.find("destination_crashed") != std::string::npos) {
      ++lines;
      REQUIRE(line.find("\"node\":3") != std::string::npos);
    }
  REQUIRE(lines == lost);
  // Later messages reach the new incarnation.
  sim.run_until(ms(300));
  REQUIRE(sim.status(NodeId(3))->committed.value > 0);
}

namespace {
// At start, writes long-keyed records, overwrites one, erases one that exists and one
// that does not: what a protocol's write-ahead log and garbage collection do.
class StoreReplica : public Replica {
 public:
  void step(Time, const Input& input, Effects& out) override {
    if (!std::holds_alternative<StartInput>(input)) return;
    for (std::uint64_t n = 1; n <= 5; ++n) out.persist(numbered_key("test/log/", n), Bytes{1});
    out.persist(numbered_key("test/log/", 2), Bytes{7, 7});
    out.erase(numbered_key("test/log/", 3));
    out.erase(numbered_key("test/log/", 9));
    out.persist("short", Bytes{2});
  }
  ReplicaStatus status() const override { return {}; }
};
}  // namespace

TEST_CASE("simulation: persist and erase effects update the durable store", "[sim][crash]") {
  SimulationConfig cfg;
  cfg.params.nodes = 4;
  cfg.clients.count = 0;
  Simulation sim(cfg, [](const ReplicaSetup&) { return std::make_unique<StoreReplica>(); });
  sim.run_until(ms(1));
  const DurableStore expected{{numbered_key("test/log/", 1), Bytes{1}},
                              {numbered_key("test/log/", 2), Bytes{7, 7}},
                              {numbered_key("test/log/", 4), Bytes{1}},
                              {numbered_key("test/log/", 5), Bytes{1}},
                              {"short", Bytes{2}}};
  REQUIRE(sim.durable_store(NodeId(3)) == expected);
}
