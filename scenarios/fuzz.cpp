#include "scenarios/fuzz.hpp"

#include <algorithm>

namespace knhk::scenarios {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// What a failure is, for shrinking: the expectation and the checker that tripped it
// ("liveness" + "liveness_not_shown" is a different failure from "liveness" + "liveness").
std::string failure_signature(const ExpectationResult& e) {
  return e.name + "/" + e.detail.substr(0, e.detail.find(':'));
}

// The failure the search looks for: the first failed expectation, or with `hunt` the
// first failure of that expectation.
const ExpectationResult* wanted_failure(const RunResult& r,
                                        const std::optional<std::string>& hunt) {
  if (!hunt) return r.first_failure();
  auto it = std::find_if(r.expectations.begin(), r.expectations.end(),
                         [&](const ExpectationResult& e) { return !e.passed && e.name == *hunt; });
  return it == r.expectations.end() ? nullptr : &*it;
}

std::optional<std::string> wanted_signature(const Scenario& s, const FuzzOptions& options) {
  auto result = run_scenario(s, options.run);
  if (auto* f = wanted_failure(result, options.hunt)) return failure_signature(*f);
  return std::nullopt;
}

FuzzFailure shrink_failure(std::uint64_t seed, const Scenario& original,
                           const ExpectationResult& failed, const FuzzOptions& options) {
  FuzzFailure failure;
  failure.seed = seed;
  failure.original = original;
  failure.expectation = failed.name;
  failure.detail = failed.detail;
  const std::string wanted = failure_signature(failed);
  auto still_fails = [&](const Scenario& candidate) {
    return wanted_signature(candidate, options) == wanted;
  };
  failure.shrink_stats = shrink_scenario(original, still_fails, options.max_shrink_attempts);
  failure.shrunk = failure.shrink_stats.scenario;
  auto replay = run_scenario(failure.shrunk, options.run);
  auto* again = wanted_failure(replay, options.hunt);
  failure.shrunk_detail = again ? again->detail : "";
  return failure;
}

}  // namespace

std::optional<std::string> failing_expectation(const Scenario& s, const RunOptions& options) {
  auto result = run_scenario(s, options);
  if (auto* f = result.first_failure()) return f->name;
  return std::nullopt;
}

std::optional<std::string> failure_signature_of(const Scenario& s, const RunOptions& options) {
  auto result = run_scenario(s, options);
  if (auto* f = result.first_failure()) return failure_signature(*f);
  return std::nullopt;
}

FuzzReport fuzz(const FuzzOptions& options) {
  FuzzReport report;
  const auto start = Clock::now();
  for (std::uint64_t seed = options.first_seed;; ++seed) {
    if (options.max_runs && report.progress.runs >= *options.max_runs) break;
    if (options.time_limit && seconds_since(start) >= options.time_limit->count()) break;
    Scenario s = generate_scenario(seed, options.generator);
    RunResult result = run_scenario(s, options.run);
    report.progress.runs += 1;
    report.progress.simulated_seconds += s.duration.seconds();
    report.progress.wall_seconds = seconds_since(start);
    const ExpectationResult* failed = wanted_failure(result, options.hunt);
    if (!failed && !result.passed()) report.progress.skipped += 1;
    if (options.on_progress) options.on_progress(report.progress);
    if (failed) {
      report.wall_seconds_to_failure = report.progress.wall_seconds;
      report.failure = shrink_failure(seed, s, *failed, options);
      break;
    }
  }
  report.progress.wall_seconds = seconds_since(start);
  return report;
}

}  // namespace knhk::scenarios
