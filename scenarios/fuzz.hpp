// The fuzzing loop behind `knhk fuzz` and the property tests: generate scenarios from
// consecutive seeds, run each, stop at the first failed expectation, shrink it to a
// small scenario that fails the same way, and hand it back (and optionally write it
// as YAML that `knhk run` replays).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "scenarios/generator.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/shrink.hpp"

namespace knhk::scenarios {

struct FuzzProgress {
  std::uint64_t runs = 0;
  std::uint64_t skipped = 0;  // runs that failed an expectation other than the hunted one
  double simulated_seconds = 0;
  double wall_seconds = 0;
  double runs_per_second() const { return wall_seconds > 0 ? runs / wall_seconds : 0; }
};

struct FuzzOptions {
  GeneratorOptions generator;
  std::uint64_t first_seed = 1;
  std::optional<std::uint64_t> max_runs;                    // stop after this many runs
  std::optional<std::chrono::duration<double>> time_limit;  // wall-clock budget
  std::uint32_t max_shrink_attempts = 300;
  RunOptions run;  // e.g. a deliberately wrong protocol variant in tests
  // Only a failure of this expectation ("safety", "liveness", ...) stops the search; runs
  // that fail another one are counted in `skipped` and the search goes on. Default: any.
  std::optional<std::string> hunt;
  // Called after every run; the fuzzer never prints by itself.
  std::function<void(const FuzzProgress&)> on_progress;
};

struct FuzzFailure {
  std::uint64_t seed = 0;   // generator seed of the failing scenario
  std::string expectation;  // "safety", "liveness", ...
  std::string detail;       // the checker's message on the original scenario
  Scenario original;
  Scenario shrunk;            // fails the same expectation
  std::string shrunk_detail;  // the checker's message on the shrunk scenario
  ShrinkResult shrink_stats;
};

struct FuzzReport {
  FuzzProgress progress;
  std::optional<FuzzFailure> failure;
  double wall_seconds_to_failure = 0;
};

FuzzReport fuzz(const FuzzOptions& options);

// Name of the first failed expectation of `s` under `options`, if any.
std::optional<std::string> failing_expectation(const Scenario& s, const RunOptions& options);
// The same, qualified by the checker that failed ("safety/agreement").
std::optional<std::string> failure_signature_of(const Scenario& s, const RunOptions& options);

}  // namespace knhk::scenarios
