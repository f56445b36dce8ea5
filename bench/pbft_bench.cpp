// PBFT in simulation: 7 nodes, 30 ms one-way links, 200 open-loop clients at 5,000 ops/s
// (issue 3's configurations: batch 10 and 100 with sim crypto, the same with ed25519).
// Prints simulated throughput (ops/s completed by clients within the measurement window),
// client latency p50/p99 (submit -> f+1 matching replies), messages sent, wall and CPU
// seconds of the simulation, simulated seconds per CPU second, and the trace digest (so a
// speed-up can be checked to leave the run unchanged).
//
//   bench_pbft_bench [--quick] [--seconds S] [--ed25519-seconds S] [--only I] [--repeat N]
//
// --repeat N runs each setting N times and ends with each setting's fastest and median CPU
// time: on a shared machine one run's speed can be off by half (docs/performance.md).
//
// Each setting simulates S seconds of load (default 60) plus 2 s of drain. The speed-up
// is computed from process CPU time (getrusage: user + system), which on a shared machine
// is a better estimate of the wall time on an idle core than the wall time itself.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <sys/resource.h>
#include <string>
#include <string_view>
#include <vector>

#include "bench/arguments.hpp"
#include "bench/percentile.hpp"
#include "cli/large_pages.hpp"
#include "sim/simulation.hpp"

using namespace knhk;
using namespace knhk::sim;

namespace {

constexpr Time at_ms(std::int64_t ms) {
  return Time{ms * 1000000};
}

struct Setting {
  const char* name;
  CryptoScheme crypto;
  std::uint32_t batch;
  double rate;
  std::int64_t seconds;
};

struct Figures {
  double ops_per_s = 0, p50_ms = 0, p99_ms = 0, wall_s = 0, cpu_s = 0;
  std::uint64_t messages = 0, completed = 0, submitted = 0, view_changes = 0, events = 0;
  std::string trace_digest;  // to check that a change kept the run identical
  bool ok = false;
  std::string error;
};

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

SimulationConfig config_for(const Setting& s) {
  SimulationConfig c;
  c.seed = 2024;
  c.params.kind = ProtocolKind::pbft;
  c.params.nodes = 7;
  c.params.batch_size = s.batch;
  c.params.batch_timeout = Duration::millis_(5);
  c.params.checkpoint_interval = 128;
  c.params.log_window = 1024;
  c.params.view_timeout = Duration::millis_(1000);
  // The real nodes' default (docs/real-nodes.md). With the 100,000 used before, each replica's
  // simulated store held up to 10,000 log entries: a third more page faults, and deep string-keyed
  // map inserts (docs/performance.md).
  c.params.snapshot_interval = 8192;
  c.params.crypto = s.crypto;
  c.params.app = AppKind::kv;
  c.network.latency = LatencyModel::constant(Duration::millis_(30));
  c.clients.count = 200;
  c.clients.mode = ClientConfig::Mode::open;
  c.clients.rate_per_second = s.rate;
  c.clients.request_timeout = Duration::secs(5);
  return c;
}

// Load runs for `seconds`; the first second is warm-up; the run drains for 2 s more.
Figures measure(const Setting& setting) {
  Figures f;
  const std::int64_t load_ms = setting.seconds * 1000, warmup_ms = 1000;
  auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  try {
    SimulationConfig c = config_for(setting);
    c.clients.stop_at = at_ms(load_ms);
    Simulation s(c);
    s.run_until(at_ms(load_ms + 2000));
    const RunRecord& r = s.record();
    f.trace_digest = s.trace_digest().short_hex();
    f.events = s.trace().events();
    std::vector<double> lat;
    std::size_t in_window = 0;
    for (const auto& op : r.operations) {
      ++f.submitted;
      if (!op.completed) continue;
      ++f.completed;
      if (op.submitted >= at_ms(warmup_ms) && op.submitted < at_ms(load_ms))
        lat.push_back((*op.completed - op.submitted).millis());
      if (*op.completed >= at_ms(warmup_ms) && *op.completed < at_ms(load_ms)) ++in_window;
    }
    f.ops_per_s = static_cast<double>(in_window) / (static_cast<double>(load_ms - warmup_ms) / 1e3);
    f.p50_ms = bench::percentile(lat, 0.50);
    f.p99_ms = bench::percentile(lat, 0.99);
    for (const auto& [type, counters] : r.messages) f.messages += counters.sent;
    for (const auto& [node, v] : r.view_changes) f.view_changes = std::max(f.view_changes, v);
    f.ok = true;
  } catch (const std::exception& e) {
    f.error = e.what();
  }
  f.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  f.cpu_s = cpu_seconds() - cpu0;
  return f;
}

void print_row(const Setting& s, const Figures& f) {
  if (!f.ok) {
    std::printf("| %s | %.0f | %lld | error: %s |\n", s.name, s.rate,
                static_cast<long long>(s.seconds), f.error.c_str());
    return;
  }
  const double simulated = static_cast<double>(s.seconds + 2);
  std::printf(
      "| %s | %.0f | %lld | %.0f | %.1f | %.1f | %llu | %llu | %.2f | %.2f | %.1f | %llu | %s "
      "|\n",
      s.name, s.rate, static_cast<long long>(s.seconds), f.ops_per_s, f.p50_ms, f.p99_ms,
      static_cast<unsigned long long>(f.messages), static_cast<unsigned long long>(f.view_changes),
      f.wall_s, f.cpu_s, simulated / f.cpu_s, static_cast<unsigned long long>(f.events),
      f.trace_digest.c_str());
  std::fflush(stdout);
}

// Each repeated setting's fastest and median CPU time, with the speed-up they give.
void print_spread(const std::vector<std::pair<const Setting*, std::vector<double>>>& runs) {
  std::printf(
      "\n| setting | runs | fastest cpu s | median cpu s | x real time (fastest / median) |\n");
  std::printf("|---|---:|---:|---:|---:|\n");
  for (const auto& [s, times] : runs) {
    if (times.empty()) continue;
    const double fastest = *std::min_element(times.begin(), times.end());
    const double median = bench::percentile(times, 0.5);
    const double simulated = static_cast<double>(s->seconds + 2);
    std::printf("| %s | %zu | %.2f | %.2f | %.1f / %.1f |\n", s->name, times.size(), fastest,
                median, simulated / fastest, simulated / median);
  }
}

int usage(const char* self) {
  std::fprintf(stderr,
               "usage: %s [--quick] [--seconds S] [--ed25519-seconds S] [--only I] [--repeat N]\n",
               self);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  knhk::cli::use_large_pages(argv);
  std::int64_t seconds = 60, ed_seconds = 60;
  bool quick = false;
  int only = -1;
  int repeat = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--quick") {
      quick = true;
      continue;
    }
    const auto value = i + 1 < argc ? knhk::bench::parse_count(argv[++i]) : std::nullopt;
    if (!value || *value > 1'000'000) return usage(argv[0]);
    const auto v = static_cast<std::int64_t>(*value);
    if (flag == "--seconds" && v > 0)
      seconds = v;
    else if (flag == "--ed25519-seconds" && v > 0)
      ed_seconds = v;
    else if (flag == "--only")
      only = static_cast<int>(v);
    else if (flag == "--repeat" && v > 0)
      repeat = static_cast<int>(v);
    else
      return usage(argv[0]);
  }
  if (quick) seconds = ed_seconds = 5;
  std::vector<Setting> settings = {
      {"sim crypto, batch 10", CryptoScheme::sim, 10, 5000, seconds},
      {"sim crypto, batch 100", CryptoScheme::sim, 100, 5000, seconds},
      {"ed25519, batch 10", CryptoScheme::ed25519, 10, 5000, ed_seconds},
      {"ed25519, batch 100", CryptoScheme::ed25519, 100, 5000, ed_seconds},
      {"sim crypto, batch 100, 20k ops/s", CryptoScheme::sim, 100, 20000, seconds},
  };
  std::printf("## PBFT, 7 nodes, 30 ms one-way links, 200 open-loop clients (simulated time)\n\n");
  std::printf(
      "| setting | offered ops/s | sim s | committed ops/s | p50 ms | p99 ms | messages | "
      "view changes | wall s | cpu s | sim s per cpu s | trace events | trace digest |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  std::vector<std::pair<const Setting*, std::vector<double>>> cpu_times;
  for (std::size_t i = 0; i < settings.size(); ++i) {
    if (only >= 0 && static_cast<std::size_t>(only) != i) continue;
    cpu_times.emplace_back(&settings[i], std::vector<double>{});
    for (int run = 0; run < repeat; ++run) {
      const Figures f = measure(settings[i]);
      print_row(settings[i], f);
      if (f.ok) cpu_times.back().second.push_back(f.cpu_s);
    }
  }
  if (repeat > 1) print_spread(cpu_times);
  return 0;
}
