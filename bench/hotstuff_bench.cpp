// HotStuff in simulation: throughput and latency of a 7-node cluster with 30 ms links,
// and protocol messages per committed block as n grows, next to PBFT's (when the PBFT
// replica is available in this build). All figures are simulated time; the wall time
// of each run is printed for reference only.
//
//   bench_hotstuff_bench [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/percentile.hpp"
#include "cli/large_pages.hpp"
#include "sim/simulation.hpp"

using namespace knhk;
using namespace knhk::sim;

namespace {

constexpr Time at_ms(std::int64_t ms) {
  return Time{ms * 1000000};
}

struct Figures {
  double ops_per_s = 0;
  double p50_ms = 0, p99_ms = 0;
  std::uint64_t protocol_messages = 0;
  std::uint64_t committed_blocks = 0;
  double wall_s = 0;
  bool ok = false;
  std::string error;
};

SimulationConfig base(ProtocolKind kind, std::uint32_t n, std::uint32_t batch, double rate,
                      Duration link) {
  SimulationConfig c;
  c.seed = 2024;
  c.params.kind = kind;
  c.params.nodes = n;
  c.params.batch_size = batch;
  c.params.batch_timeout = Duration::millis_(5);
  c.params.view_timeout = Duration::millis_(1000);
  c.params.app = AppKind::kv;
  c.params.checkpoint_interval = 128;
  c.params.log_window = 1024;
  c.network.latency = LatencyModel::constant(link);
  c.clients.count = 200;
  c.clients.mode = ClientConfig::Mode::open;
  c.clients.rate_per_second = rate;
  c.clients.request_timeout = Duration::secs(5);
  return c;
}

// Runs load for `load_ms`, counts what completed within the measurement window
// [warmup_ms, load_ms), and protocol messages per committed block over the whole run.
Figures measure(const SimulationConfig& cfg, std::int64_t warmup_ms, std::int64_t load_ms) {
  Figures f;
  auto wall0 = std::chrono::steady_clock::now();
  try {
    SimulationConfig c = cfg;
    c.clients.stop_at = at_ms(load_ms);
    Simulation s(c);
    s.run_until(at_ms(load_ms + 2000));
    const RunRecord& r = s.record();
    std::vector<double> lat;
    std::size_t in_window = 0;
    for (const auto& op : r.operations) {
      if (!op.completed) continue;
      if (op.submitted >= at_ms(warmup_ms) && op.submitted < at_ms(load_ms))
        lat.push_back((*op.completed - op.submitted).millis());
      if (*op.completed >= at_ms(warmup_ms) && *op.completed < at_ms(load_ms)) ++in_window;
    }
    f.ops_per_s = static_cast<double>(in_window) / (static_cast<double>(load_ms - warmup_ms) / 1e3);
    f.p50_ms = bench::percentile(lat, 0.50);
    f.p99_ms = bench::percentile(lat, 0.99);
    const std::string prefix = c.params.kind == ProtocolKind::hotstuff ? "hotstuff." : "pbft.";
    for (const auto& [type, counters] : r.messages)
      if (type.rfind(prefix, 0) == 0) f.protocol_messages += counters.sent;
    f.committed_blocks = r.commits_of(NodeId(0)).size();
    f.ok = true;
  } catch (const std::exception& e) {
    f.error = e.what();
  }
  f.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return f;
}

void throughput_table(bool quick) {
  std::printf("## HotStuff, 7 nodes, 30 ms one-way links, open-loop load (simulated time)\n\n");
  std::printf("| batch | offered ops/s | committed ops/s | p50 ms | p99 ms | wall s |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|\n");
  struct Point {
    std::uint32_t batch;
    double rate;
  };
  std::vector<Point> points = {{1, 10}, {100, 1000}, {400, 5000}, {1000, 12000}, {2000, 25000}};
  if (quick) points = {{1000, 12000}};
  for (const auto& p : points) {
    auto cfg = base(ProtocolKind::hotstuff, 7, p.batch, p.rate, Duration::millis_(30));
    Figures f = measure(cfg, 2000, quick ? 5000 : 6000);
    if (!f.ok) {
      std::printf("| %u | %.0f | error: %s |\n", p.batch, p.rate, f.error.c_str());
      continue;
    }
    std::printf("| %u | %.0f | %.0f | %.1f | %.1f | %.2f |\n", p.batch, p.rate, f.ops_per_s,
                f.p50_ms, f.p99_ms, f.wall_s);
  }
  std::printf("\n");
}

void complexity_table(bool quick) {
  std::printf("## Protocol messages per committed block as n grows\n\n");
  std::printf("5 ms links, batch 10, 500 ops/s offered, 3 s of load; protocol messages only\n");
  std::printf("(client requests and replies excluded), divided by blocks committed at node 0.\n\n");
  std::printf(
      "| n | HotStuff msgs/block | HotStuff msgs/block/n | PBFT msgs/block | PBFT msgs/block/n "
      "|\n");
  std::printf("|---:|---:|---:|---:|---:|\n");
  std::vector<std::uint32_t> ns = {4, 7, 16, 31, 64, 100};
  if (quick) ns = {4, 16};
  for (std::uint32_t n : ns) {
    double hs = 0, pb = 0;
    std::string pbft_note;
    for (ProtocolKind kind : {ProtocolKind::hotstuff, ProtocolKind::pbft}) {
      auto cfg = base(kind, n, 10, 500, Duration::millis_(5));
      cfg.clients.count = 50;
      Figures f = measure(cfg, 500, 3500);
      double per_block =
          f.ok && f.committed_blocks > 0
              ? static_cast<double>(f.protocol_messages) / static_cast<double>(f.committed_blocks)
              : -1;
      if (kind == ProtocolKind::hotstuff) hs = per_block;
      if (kind == ProtocolKind::pbft) {
        pb = per_block;
        if (!f.ok) pbft_note = f.error;
      }
    }
    auto cell = [](double v, char* buf, std::size_t len) {
      if (v < 0)
        std::snprintf(buf, len, "n/a");
      else
        std::snprintf(buf, len, "%.1f", v);
    };
    char a[32], b[32], c[32], d[32];
    cell(hs, a, sizeof a);
    cell(hs < 0 ? -1 : hs / n, b, sizeof b);
    cell(pb, c, sizeof c);
    cell(pb < 0 ? -1 : pb / n, d, sizeof d);
    std::printf("| %u | %s | %s | %s | %s |%s%s\n", n, a, b, c, d,
                pbft_note.empty() ? "" : " PBFT unavailable: ", pbft_note.c_str());
  }
  std::printf("\nHotStuff's per-block cost divided by n stays flat (O(n): one proposal\n");
  std::printf("broadcast, n votes to one leader); PBFT's grows with n (O(n^2): all-to-all\n");
  std::printf("prepare and commit).\n");
}

}  // namespace

int main(int argc, char** argv) {
  knhk::cli::use_large_pages(argv);
  const bool quick = argc == 2 && std::strcmp(argv[1], "--quick") == 0;
  if (argc > 2 || (argc == 2 && !quick)) {
    std::fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
    return 2;
  }
  throughput_table(quick);
  complexity_table(quick);
  return 0;
}
