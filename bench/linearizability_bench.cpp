// Time of the linearizability checker on 10,000-operation kv histories: linearizable
// ones (built from a real concurrent-looking execution) and ones with a planted stale read.
//   build/bench/bench_linearizability
#include <chrono>
#include <cstdio>
#include <random>

#include "analysis/linearizability.hpp"
#include "protocols/smr/application.hpp"
#include "protocols/smr/kv.hpp"

using namespace knhk;
using namespace knhk::analysis;
namespace kv = knhk::smr::kv;

namespace {

struct Shape {
  const char* name;
  std::uint32_t keys;
  std::uint32_t clients;
};

// Closed-loop clients: each op gets a random interval and a linearization point inside
// it; applying the ops in point order to the real application gives their results.
KvHistory make_history(const Shape& shape, std::size_t ops, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto below = [&](std::uint64_t n) { return static_cast<std::int64_t>(rng() % n); };
  std::vector<std::int64_t> client_time(shape.clients, 0);
  struct Pending {
    std::int64_t point;
    KvHistoryOp op;
  };
  std::vector<Pending> planned;
  for (std::size_t i = 0; i < ops; ++i) {
    auto c = static_cast<std::uint32_t>(i % shape.clients);
    std::int64_t invoke = client_time[c] + below(1000);
    std::int64_t complete = invoke + 1 + below(20000);
    client_time[c] = complete;
    auto key = kv::Key::index(static_cast<std::uint32_t>(below(shape.keys)));
    Bytes value{static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8)};
    auto pick = below(100);
    Bytes operation = pick < 45   ? kv::encode_put(key, value)
                      : pick < 90 ? kv::encode_get(key)
                                  : kv::encode_cas(key, std::nullopt, value);
    std::int64_t point = invoke + below(complete - invoke + 1);
    planned.push_back({point, {ClientId(c), Time{invoke}, Time{complete}, operation, {}}});
  }
  std::stable_sort(planned.begin(), planned.end(),
                   [](const Pending& a, const Pending& b) { return a.point < b.point; });
  auto app = smr::make_application(AppKind::kv, shape.keys);
  KvHistory h;
  for (auto& p : planned) {
    p.op.result = app->apply(p.op.operation);
    h.push_back(std::move(p.op));
  }
  return h;
}

// A get in the last quarter of the history now returns a value written long before.
void plant_stale_read(KvHistory& h) {
  for (std::size_t i = h.size() * 3 / 4; i < h.size(); ++i) {
    auto op = kv::decode_op(h[i].operation);
    if (op->kind != kv::OpKind::get) continue;
    for (std::size_t j = 0; j < h.size() / 4; ++j) {
      auto w = kv::decode_op(h[j].operation);
      if (w->kind == kv::OpKind::put && w->key == op->key &&
          kv::decode_result(h[i].result)->value != w->value) {
        h[i].result = kv::encode_result({kv::Status::value, w->value, {}});
        return;
      }
    }
  }
}

void run(const Shape& shape, bool violation) {
  auto h = make_history(shape, 10000, 42);
  if (violation) plant_stale_read(h);
  auto start = std::chrono::steady_clock::now();
  auto report = check_kv_linearizability(h);
  auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-28s %-18s %6zu ops %4zu keys  %-16s %10llu steps  %8.1f ms\n", shape.name,
              violation ? "planted stale read" : "linearizable", h.size(), report.keys,
              to_string(report.verdict), static_cast<unsigned long long>(report.steps), ms);
  if (report.violation)
    std::printf("    explanation: %zu ops + %zu related writes\n",
                report.violation->operations.size(), report.violation->related_writes.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    std::fprintf(stderr, "usage: %s (no arguments)\n", argv[0]);
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const Shape shapes[] = {{"100 keys, 8 clients", 100, 8},
                          {"10 keys, 8 clients", 10, 8},
                          {"1 key, 8 clients", 1, 8},
                          {"1 key, 12 clients", 1, 12},
                          {"1 key, 16 clients", 1, 16}};
  for (const auto& s : shapes) {
    run(s, false);
    run(s, true);
  }
}
