// Generated-scenario runs per second on one core: short 4-node runs of 2 simulated
// seconds with sim crypto, as `knhk fuzz` does them (generate, run, check).
//   build/release/bench/bench_fuzz_throughput [runs] [dir|-] [pbft|hotstuff]
// A failed run (correct protocols must pass) is named on stderr and, with `dir`, written
// there as YAML for `knhk run`.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>

#include "bench/arguments.hpp"
#include "scenarios/generator.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/writer.hpp"

using namespace knhk;
using namespace knhk::scenarios;

namespace {

void measure(ProtocolKind protocol, std::uint64_t runs, const char* failure_dir) {
  GeneratorOptions o;
  o.protocol = protocol;
  o.nodes = 4;
  o.duration = Duration::secs(2);
  std::uint64_t events = 0, failed = 0;
  auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (std::uint64_t seed = 1; seed <= runs; ++seed) {
    Scenario s = generate_scenario(seed, o);
    auto r = run_scenario(s);
    events += r.trace_events;
    if (auto* f = r.first_failure()) {
      failed += 1;
      // Correct protocols within the budget must pass: name the seed so it can be replayed.
      std::fprintf(stderr, "%s seed %llu failed %s: %s\n", to_string(protocol),
                   static_cast<unsigned long long>(seed), f->name.c_str(), f->detail.c_str());
      if (failure_dir)
        std::ofstream(std::string(failure_dir) + "/" + to_string(protocol) + "-" + s.name + ".yaml")
            << to_yaml(s);
    }
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // CPU time as well: on a shared machine wall time also counts other processes.
  double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  std::printf(
      "%-9s %llu runs: wall %.2f s = %.0f runs/s; CPU %.2f s = %.0f runs/s, %.0f simulated s "
      "per CPU s, %.2f M events/s (%llu runs failed an expectation)\n",
      to_string(protocol), static_cast<unsigned long long>(runs), wall, runs / wall, cpu,
      runs / cpu, 2.0 * runs / cpu, events / cpu / 1e6, static_cast<unsigned long long>(failed));
}

}  // namespace

int main(int argc, char** argv) {
  const auto runs = argc > 1 ? knhk::bench::parse_count(argv[1]) : std::uint64_t{300};
  const std::string only = argc > 3 ? argv[3] : "";
  if (argc > 4 || !runs || (only != "" && only != "pbft" && only != "hotstuff")) {
    std::fprintf(stderr, "usage: %s [runs] [dir|-] [pbft|hotstuff]\n", argv[0]);
    return 2;
  }
  const char* failure_dir = argc > 2 && std::string(argv[2]) != "-" ? argv[2] : nullptr;
  if (only.empty() || only == "pbft") measure(ProtocolKind::pbft, *runs, failure_dir);
  if (only.empty() || only == "hotstuff") measure(ProtocolKind::hotstuff, *runs, failure_dir);
}
