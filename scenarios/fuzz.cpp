#include "scenarios/fuzz.hpp"

#include <algorithm>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

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

RunResult run_one(const Scenario& s, const FuzzOptions& options) {
  return options.runner ? options.runner(s, options.run) : run_scenario(s, options.run);
}

std::optional<std::string> wanted_signature(const Scenario& s, const FuzzOptions& options) {
  auto result = run_one(s, options);
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
  auto replay = run_one(failure.shrunk, options);
  auto* again = wanted_failure(replay, options.hunt);
  failure.shrunk_detail = again ? again->detail : "";
  return failure;
}

// The state the workers share, all of it behind one mutex: the next seed to hand out,
// the lowest seed that failed (or threw) so far, and the progress counters. Seeds go out
// in increasing order, so when seed s fails every lower seed is already running or done;
// handing out stops above s and the workers finish what they hold. A lower seed that
// fails meanwhile takes s's place. With one worker this is the plain sequential loop.
class SeedSearch {
 public:
  SeedSearch(const FuzzOptions& options, Clock::time_point start)
      : options_(options), start_(start), next_seed_(options.first_seed) {
    if (options.max_runs) {
      const auto room = std::numeric_limits<std::uint64_t>::max() - options.first_seed;
      end_seed_ = options.first_seed + std::min(*options.max_runs, room);
    }
  }

  // The next seed to run, or nothing once the search is over.
  std::optional<std::uint64_t> take_seed() {
    std::lock_guard lock(mutex_);
    if (end_seed_ && next_seed_ >= *end_seed_) return std::nullopt;
    if (options_.time_limit && seconds_since(start_) >= options_.time_limit->count())
      return std::nullopt;
    return next_seed_++;
  }

  void record_run(std::uint64_t seed, Scenario s, const RunResult& result) {
    std::lock_guard lock(mutex_);
    progress_.runs += 1;
    progress_.simulated_seconds += s.duration.seconds();
    progress_.wall_seconds = seconds_since(start_);
    const ExpectationResult* failed = wanted_failure(result, options_.hunt);
    if (!failed && !result.passed()) progress_.skipped += 1;
    if (options_.on_progress) options_.on_progress(progress_);
    if (failed && stops_search(seed)) {
      found_ = Found{seed, std::move(s), *failed, progress_.wall_seconds};
      end_seed_ = seed + 1;
    }
  }

  // A run (or the progress callback) threw: a single thread would have stopped there.
  void record_error(std::uint64_t seed, std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    if (!stops_search(seed)) return;
    error_ = Error{seed, std::move(error)};
    end_seed_ = seed + 1;
  }

  // After every worker is done: shrinks the winning failure, or rethrows.
  FuzzReport finish() {
    if (error_ && (!found_ || error_->seed < found_->seed)) std::rethrow_exception(error_->error);
    FuzzReport report;
    if (found_) {
      report.wall_seconds_to_failure = found_->wall_seconds;
      report.failure = shrink_failure(found_->seed, found_->scenario, found_->failed, options_);
    }
    report.progress = progress_;
    report.progress.wall_seconds = seconds_since(start_);
    return report;
  }

 private:
  struct Found {
    std::uint64_t seed;
    Scenario scenario;
    ExpectationResult failed;
    double wall_seconds;
  };
  struct Error {
    std::uint64_t seed;
    std::exception_ptr error;
  };

  // Lower than every seed that already stopped the search.
  bool stops_search(std::uint64_t seed) const {
    return (!found_ || seed < found_->seed) && (!error_ || seed < error_->seed);
  }

  const FuzzOptions& options_;
  const Clock::time_point start_;
  std::mutex mutex_;
  std::uint64_t next_seed_;
  std::optional<std::uint64_t> end_seed_;  // seeds from here on are not handed out
  FuzzProgress progress_;
  std::optional<Found> found_;
  std::optional<Error> error_;
};

void run_seeds(SeedSearch& search, const FuzzOptions& options) {
  while (auto seed = search.take_seed()) {
    try {
      Scenario s = generate_scenario(*seed, options.generator);
      RunResult result = run_one(s, options);
      search.record_run(*seed, std::move(s), result);
    } catch (...) {
      search.record_error(*seed, std::current_exception());
    }
  }
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
  const std::uint32_t jobs = std::max<std::uint32_t>(options.jobs, 1);
  if (jobs > 1 && options.run.trace)
    throw std::invalid_argument("fuzz: a trace stream cannot be shared by parallel runs");
  SeedSearch search(options, Clock::now());
  // The calling thread is one of the workers: with jobs = 1 no thread is started.
  std::vector<std::thread> workers;
  for (std::uint32_t i = 1; i < jobs; ++i) {
    try {
      workers.emplace_back([&] { run_seeds(search, options); });
    } catch (const std::system_error&) {
      break;  // no more threads to be had: fewer workers give the same answer, later
    }
  }
  run_seeds(search, options);
  for (auto& w : workers) w.join();
  return search.finish();
}

}  // namespace knhk::scenarios
