// For each deliberately wrong protocol variant: runs of `knhk fuzz`'s loop until the
// first failed expectation, wall time, and the size of the shrunk scenario. Also the
// correct protocols over the same number of runs. Prints a Markdown table.
//   build/release/bench/bench_fuzz_teeth [max_runs] [variant|all] [hunt|any] [f|f+1] [seed]
//   (variant: e.g. ignore_lock; hunt: an expectation, e.g. safety: only its failures count;
//    f+1: one faulty replica more than tolerated; seed: the first generator seed, default 1)
#include <chrono>
#include <cstdio>
#include <string>

#include "bench/arguments.hpp"
#include "scenarios/fuzz.hpp"
#include "scenarios/writer.hpp"

using namespace knhk;
using namespace knhk::scenarios;

namespace {

struct Variant {
  ProtocolKind protocol;
  BugVariant bug;
};

struct Search {
  std::uint64_t max_runs = 200;
  std::optional<std::string> hunt;
  FaultBudget budget = FaultBudget::within_f;
  std::uint64_t first_seed = 1;
};

void report(const Variant& v, const Search& search) {
  FuzzOptions o;
  o.generator.protocol = v.protocol;
  o.generator.max_nodes = 7;
  o.generator.budget = search.budget;
  o.first_seed = search.first_seed;
  o.max_runs = search.max_runs;
  o.max_shrink_attempts = 200;
  o.run.bug = v.bug;
  o.hunt = search.hunt;
  auto start = std::chrono::steady_clock::now();
  auto r = fuzz(o);
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.failure) {
    std::printf("| %s | %s | none in %llu runs | %.1f s | - |\n", to_string(v.protocol),
                to_string(v.bug), static_cast<unsigned long long>(r.progress.runs), total);
    return;
  }
  const auto& f = *r.failure;
  std::printf(
      "| %s | %s | %s (%s) after %llu runs | %.1f s (shrink incl. %.1f s) | %u nodes, %zu faults, "
      "%.1f "
      "s |\n",
      to_string(v.protocol), to_string(v.bug), f.expectation.c_str(),
      f.detail.substr(0, f.detail.find(':')).c_str(),
      static_cast<unsigned long long>(r.progress.runs), r.wall_seconds_to_failure, total,
      f.shrunk.protocol.nodes, f.shrunk.faults.size(), f.shrunk.duration.seconds());
  // The evidence, for the reader of the table: what failed, and the shrunk scenario.
  std::fprintf(stderr, "%s/%s seed %llu: %s\nshrunk: %s\n%s\n", to_string(v.protocol),
               to_string(v.bug), static_cast<unsigned long long>(f.seed), f.detail.c_str(),
               f.shrunk_detail.c_str(), to_yaml(f.shrunk).c_str());
}

int usage(const char* self) {
  std::fprintf(stderr, "usage: %s [max_runs] [variant|all] [hunt|any] [f|f+1] [seed]\n", self);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Search search;
  if (argc > 6) return usage(argv[0]);
  if (argc > 1) {
    const auto runs = knhk::bench::parse_count(argv[1]);
    if (!runs) return usage(argv[0]);
    search.max_runs = *runs;
  }
  const std::string only = argc > 2 ? argv[2] : "all";
  if (argc > 3 && std::string(argv[3]) != "any") search.hunt = argv[3];
  if (argc > 4) {
    const std::string budget = argv[4];
    if (budget != "f" && budget != "f+1") return usage(argv[0]);
    if (budget == "f+1") search.budget = FaultBudget::f_plus_one;
  }
  if (argc > 5) {
    const auto seed = knhk::bench::parse_count(argv[5]);
    if (!seed) return usage(argv[0]);
    search.first_seed = *seed;
  }
  std::printf("| protocol | variant | first failure | wall time | shrunk scenario |\n");
  std::printf("|---|---|---|---|---|\n");
  const Variant variants[] = {
      {ProtocolKind::pbft, BugVariant::none},
      {ProtocolKind::pbft, BugVariant::small_quorum},
      {ProtocolKind::pbft, BugVariant::drop_prepared_certificates},
      {ProtocolKind::pbft, BugVariant::execute_before_commit},
      {ProtocolKind::pbft, BugVariant::gc_uncommitted},
      {ProtocolKind::hotstuff, BugVariant::none},
      {ProtocolKind::hotstuff, BugVariant::small_quorum},
      {ProtocolKind::hotstuff, BugVariant::ignore_lock},
      {ProtocolKind::hotstuff, BugVariant::execute_before_commit},
  };
  for (const auto& v : variants) {
    if (only != "all" && only != to_string(v.bug)) continue;
    report(v, search);
    std::fflush(stdout);
  }
}
