// Replays a scenario file with a deliberately wrong protocol variant (test builds only:
// `knhk run` cannot select one), printing each expectation and, optionally, the trace.
// It is how a shrunk counterexample from the teeth tests or bench_fuzz_teeth is read.
//   build/release/bench/bench_fuzz_replay FILE VARIANT [TRACE.jsonl | --shrink]
// --shrink prints the smallest scenario the shrinker finds that fails the same way.
//   (VARIANT: none, small_quorum, ignore_lock, drop_prepared_certificates,
//    execute_before_commit, gc_uncommitted)
#include <cstdio>
#include <fstream>
#include <string>

#include "scenarios/fuzz.hpp"
#include "scenarios/loader.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/shrink.hpp"
#include "scenarios/writer.hpp"

using namespace knhk;
using namespace knhk::scenarios;

namespace {

std::optional<BugVariant> variant_named(const std::string& name) {
  for (BugVariant b : {BugVariant::none, BugVariant::small_quorum, BugVariant::ignore_lock,
                       BugVariant::drop_prepared_certificates, BugVariant::execute_before_commit,
                       BugVariant::gc_uncommitted})
    if (name == to_string(b)) return b;
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || !variant_named(argv[2])) {
    std::fprintf(stderr, "usage: %s FILE VARIANT [TRACE.jsonl]\n", argv[0]);
    return 2;
  }
  Scenario s = load_scenario_file(argv[1]);
  RunOptions options;
  options.bug = *variant_named(argv[2]);
  if (argc > 3 && std::string(argv[3]) == "--shrink") {
    auto wanted = failure_signature_of(s, options);
    if (!wanted) return 0;
    auto shrunk = shrink_scenario(
        s, [&](const Scenario& c) { return failure_signature_of(c, options) == wanted; });
    std::printf("%s", to_yaml(shrunk.scenario).c_str());
    return 1;
  }
  std::ofstream trace;
  if (argc > 3) {
    trace.open(argv[3]);
    options.trace = &trace;
  }
  auto r = run_scenario(s, options);
  for (const auto& e : r.expectations)
    std::printf("%s %s: %s\n", e.passed ? "PASS" : "FAIL", e.name.c_str(), e.detail.c_str());
  return r.passed() ? 0 : 1;
}
