// Runs a scenario in the simulator and judges its expectations: the engine behind
// `knhk run`, `knhk sweep` and the example tests.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "analysis/checkers.hpp"
#include "scenarios/scenario.hpp"
#include "sim/record.hpp"

namespace knhk::scenarios {

struct ExpectationResult {
  std::string name;  // "safety", "liveness", "min_commits", ...
  bool passed = false;
  std::string detail;  // measured value, or the first violation
};

struct RunOptions {
  std::optional<std::uint64_t> seed;  // overrides the scenario's
  std::ostream* trace = nullptr;      // JSON lines of every event, when set
  // A deliberately wrong protocol variant: test code only (YAML and the CLI cannot set it).
  BugVariant bug = BugVariant::none;
  // Stops a runaway run (a message storm) deterministically: at most this many trace
  // events. Default: 1M plus 2M per simulated second, far above any sane workload here.
  std::optional<std::uint64_t> max_events;
};

struct RunResult {
  Scenario scenario;  // as run (seed applied)
  sim::RunRecord record;
  analysis::RunMetrics metrics;
  std::vector<analysis::Violation> safety_violations;
  std::vector<ExpectationResult> expectations;
  Digest trace_digest;
  std::uint64_t trace_events = 0;
  Time liveness_from;              // after the last fault ended (and after GST)
  std::optional<Time> aborted_at;  // set when the event budget ran out or an invariant broke
  std::optional<std::string> invariant_violation;  // a replica's broken internal invariant

  bool passed() const;
  const ExpectationResult* first_failure() const;
};

RunResult run_scenario(const Scenario& s, const RunOptions& options = {});

// The moment from which liveness is judged: the later of GST and the last fault event
// (an `until`, or the `at` of a fault that is never reverted).
Time liveness_start(const Scenario& s);
// Replicas that are Byzantine at some point of the schedule (excluded from safety checks).
std::set<NodeId> byzantine_nodes(const Scenario& s);

}  // namespace knhk::scenarios
