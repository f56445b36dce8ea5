// The fuzzing loop behind `knhk fuzz` and the property tests: generate scenarios from
// consecutive seeds, run each, stop at the first failed expectation, shrink it to a
// small scenario that fails the same way, and hand it back (and optionally write it
// as YAML that `knhk run` replays).
//
// With `jobs` > 1 the seeds are run on that many threads (each run has its own
// Simulation; nothing on the run path is shared and mutable). Seeds are handed out in
// increasing order and a failure at seed s stops the handing out of seeds above s, so a
// reported failure is always the lowest failing seed from `first_seed` on: the one a
// single thread would report, since every lower seed was run. When `max_runs` ends the
// search, the result (failure, shrunk scenario) does not depend on `jobs`; when the time
// budget ends it, how far the search got depends on speed (and so on `jobs`).
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
  // Called after every run, never concurrently (under a lock when jobs > 1, so keep it
  // short); the fuzzer never prints by itself.
  std::function<void(const FuzzProgress&)> on_progress;
  // Threads that run seeds (0 is taken as 1). With jobs > 1, `run.trace` must be null
  // (the runs would write to it at once); shrinking stays on the calling thread.
  std::uint32_t jobs = 1;
  // Runs one scenario: run_scenario unless set. A seam for tests that need to decide
  // which seeds fail and when their runs finish; must be safe to call from `jobs` threads.
  std::function<RunResult(const Scenario&, const RunOptions&)> runner;
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
  // Every run made. With jobs > 1 that includes runs of seeds above the failure: the
  // other threads go on while the failing run is under way.
  FuzzProgress progress;
  std::optional<FuzzFailure> failure;
  double wall_seconds_to_failure = 0;
};

// Throws what a run threw at the lowest seed that threw, if no lower seed failed (as a
// single thread would); std::invalid_argument for jobs > 1 with a trace stream.
FuzzReport fuzz(const FuzzOptions& options);

// Name of the first failed expectation of `s` under `options`, if any.
std::optional<std::string> failing_expectation(const Scenario& s, const RunOptions& options);
// The same, qualified by the checker that failed ("safety/agreement").
std::optional<std::string> failure_signature_of(const Scenario& s, const RunOptions& options);

}  // namespace knhk::scenarios
