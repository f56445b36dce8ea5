// For each deliberately wrong protocol variant: runs of `knhk fuzz`'s loop until the
// first failed expectation, wall time, and the size of the shrunk scenario. Also the
// correct protocols over the same number of runs. Prints a Markdown table.
//   build/release/bench/bench_fuzz_teeth [max_runs] [variant|all] [hunt]
//   (variant: e.g. ignore_lock; hunt: an expectation, e.g. safety: only its failures count)
#include <chrono>
#include <cstdio>
#include <string>

#include "scenarios/fuzz.hpp"
#include "scenarios/writer.hpp"

using namespace knhk;
using namespace knhk::scenarios;

namespace {

struct Variant {
  ProtocolKind protocol;
  BugVariant bug;
};

void report(const Variant& v, std::uint64_t max_runs, const std::optional<std::string>& hunt) {
  FuzzOptions o;
  o.generator.protocol = v.protocol;
  o.generator.max_nodes = 7;
  o.generator.budget = FaultBudget::within_f;
  o.max_runs = max_runs;
  o.max_shrink_attempts = 200;
  o.run.bug = v.bug;
  o.hunt = hunt;
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

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t max_runs = argc > 1 ? std::stoull(argv[1]) : 200;
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
  const std::string only = argc > 2 ? argv[2] : "all";
  std::optional<std::string> hunt;
  if (argc > 3) hunt = argv[3];
  for (const auto& v : variants) {
    if (only != "all" && only != to_string(v.bug)) continue;
    report(v, max_runs, hunt);
    std::fflush(stdout);
  }
}
