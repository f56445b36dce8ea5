// `knhk fuzz --jobs N`: the seeds run on N threads, and the answer is the one a single
// thread gives — the lowest failing seed, its expectation and its shrunk scenario — when
// the number of runs bounds the search. Progress reports are never concurrent.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "scenarios/fuzz.hpp"
#include "scenarios/writer.hpp"

using namespace knhk;
using namespace knhk::scenarios;

namespace {

FuzzOptions buggy_options(ProtocolKind protocol, BugVariant bug, std::uint64_t runs) {
  FuzzOptions o;
  o.generator.protocol = protocol;
  o.generator.max_nodes = 7;
  o.max_runs = runs;
  o.max_shrink_attempts = 30;
  o.run.bug = bug;
  return o;
}

// A stand-in run for the tests that decide which seeds fail: generated scenarios are
// named "generated-<seed>", and the stand-in fails "safety" for the names listed.
RunResult fake_run(const Scenario& s, const std::set<std::uint64_t>& failing) {
  RunResult r;
  r.scenario = s;
  const bool fails = failing.count(s.seed) && s.name == "generated-" + std::to_string(s.seed);
  r.expectations.push_back({"safety", !fails, fails ? "agreement: stand-in" : "ok"});
  return r;
}

// A search over generated 4-node PBFT scenarios whose runs a test replaces (runner).
FuzzOptions stand_in_search(std::uint64_t max_runs, std::uint32_t jobs) {
  FuzzOptions options;
  options.generator.protocol = ProtocolKind::pbft;
  options.generator.nodes = 4;
  options.max_runs = max_runs;
  options.max_shrink_attempts = 5;
  options.jobs = jobs;
  return options;
}

// Counts the runs reported so far and lets a thread wait until there are enough.
struct RunCounter {
  std::mutex mutex;
  std::condition_variable changed;
  std::uint64_t runs = 0;

  void report(std::uint64_t now) {
    std::lock_guard lock(mutex);
    runs = now;
    changed.notify_all();
  }
  // Bounded, so that a broken search fails the test instead of hanging it.
  bool wait_for(std::uint64_t at_least) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(60), [&] { return runs >= at_least; });
  }
};

}  // namespace

// Nothing on the run path is shared and writable: the same seeds run on the test's
// thread alone and on two threads at once give the same trace digests.
TEST_CASE("fuzz --jobs: a seed's run is the same on any thread, alongside other runs",
          "[fuzz][jobs]") {
  GeneratorOptions g;
  g.max_nodes = 7;
  g.duration = Duration::secs(2);
  constexpr std::uint64_t kSeeds = 8;
  auto digest_of = [&](std::uint64_t seed) {
    return run_scenario(generate_scenario(seed, g)).trace_digest;
  };
  std::vector<Digest> alone;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) alone.push_back(digest_of(seed));
  // Both threads run every seed, in opposite orders, so that different runs overlap.
  std::vector<Digest> forward(kSeeds), backward(kSeeds);
  std::thread other([&] {
    for (std::uint64_t seed = kSeeds; seed >= 1; --seed) backward[seed - 1] = digest_of(seed);
  });
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) forward[seed - 1] = digest_of(seed);
  other.join();
  CHECK(forward == alone);
  CHECK(backward == alone);
}

TEST_CASE("fuzz --jobs: 1, 2 and 3 threads report the same failure and shrunk scenario",
          "[fuzz][jobs]") {
  // HotStuff with a quorum of 2f: seeds 1-7 pass and 8 fails (12, 30, ... fail as well),
  // so with several threads higher seeds are running when seed 8 fails.
  auto options = buggy_options(ProtocolKind::hotstuff, BugVariant::small_quorum, 12);
  options.jobs = 1;
  const auto one = fuzz(options);
  REQUIRE(one.failure.has_value());
  REQUIRE(one.failure->seed > options.first_seed);  // not trivially the first seed handed out
  CHECK(one.progress.runs == one.failure->seed - options.first_seed + 1);
  for (std::uint32_t jobs : {2u, 3u}) {
    INFO("jobs " << jobs);
    options.jobs = jobs;
    const auto many = fuzz(options);
    REQUIRE(many.failure.has_value());
    CHECK(many.failure->seed == one.failure->seed);
    CHECK(many.failure->expectation == one.failure->expectation);
    CHECK(many.failure->detail == one.failure->detail);
    CHECK(many.failure->original == one.failure->original);
    CHECK(many.failure->shrunk == one.failure->shrunk);
    CHECK(to_yaml(many.failure->shrunk) == to_yaml(one.failure->shrunk));
    CHECK(many.failure->shrunk_detail == one.failure->shrunk_detail);
    CHECK(many.failure->shrink_stats.attempts == one.failure->shrink_stats.attempts);
    // Every seed up to the failure ran (and some above it, handed out before it failed).
    CHECK(many.progress.runs >= one.progress.runs);
    CHECK(many.progress.runs <= *options.max_runs);
  }
}

TEST_CASE("fuzz --jobs: the same failure from a later first seed", "[fuzz][jobs]") {
  // From seed 9 the lowest failing seed is 12.
  auto options = buggy_options(ProtocolKind::hotstuff, BugVariant::small_quorum, 25);
  options.first_seed = 9;
  const auto one = fuzz(options);
  options.jobs = 2;
  const auto two = fuzz(options);
  REQUIRE(one.failure.has_value());
  REQUIRE(two.failure.has_value());
  CHECK(one.failure->seed > 9);
  CHECK(two.failure->seed == one.failure->seed);
  CHECK(two.failure->shrunk == one.failure->shrunk);
}

TEST_CASE("fuzz --jobs: a passing protocol runs exactly max_runs runs", "[fuzz][jobs]") {
  auto options = buggy_options(ProtocolKind::pbft, BugVariant::none, 13);
  options.generator.duration = Duration::secs(2);
  const auto one = fuzz(options);
  options.jobs = 2;
  std::set<std::uint64_t> seen_runs;
  options.on_progress = [&](const FuzzProgress& p) { seen_runs.insert(p.runs); };
  const auto two = fuzz(options);
  REQUIRE_FALSE(two.failure.has_value());
  CHECK(two.progress.runs == 13);
  CHECK(seen_runs == std::set<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
  CHECK(two.progress.simulated_seconds == Approx(13 * 2.0));
  CHECK(two.progress.skipped == one.progress.skipped);
  CHECK(one.progress.runs == 13);
}

TEST_CASE("fuzz --jobs: progress is reported one run at a time, never concurrently",
          "[fuzz][jobs]") {
  FuzzOptions options = stand_in_search(24, 3);
  options.runner = [](const Scenario& s, const RunOptions&) { return fake_run(s, {}); };
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::uint64_t calls = 0, last_runs = 0;
  bool counted_up = true;
  options.on_progress = [&](const FuzzProgress& p) {
    if (inside.fetch_add(1) != 0) overlaps += 1;
    // Long enough that another worker's report would land inside this one if the
    // reports were not serialised.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    calls += 1;
    counted_up = counted_up && p.runs == last_runs + 1;
    last_runs = p.runs;
    inside -= 1;
  };
  const auto report = fuzz(options);
  CHECK(overlaps == 0);
  CHECK(counted_up);
  CHECK(calls == 24);
  CHECK(report.progress.runs == 24);
}

// Seeds 4 and 5 fail; the run of seed 4 is held until seed 5's failure has been
// recorded, so the search sees the higher failure first. It must still report seed 4
// and hand out no seed above 5.
TEST_CASE("fuzz --jobs: a lower failing seed that finishes later wins", "[fuzz][jobs]") {
  FuzzOptions options = stand_in_search(40, 2);
  RunCounter counter;
  std::atomic<bool> seed_4_waited{false}, seed_5_first{false};
  options.on_progress = [&](const FuzzProgress& p) { counter.report(p.runs); };
  options.runner = [&](const Scenario& s, const RunOptions&) {
    // Seeds 1, 2, 3 and 5 are reported before seed 4 returns. (Catch2 assertions are
    // not thread-safe: the outcome is checked on the test's thread.)
    if (s.name == "generated-4" && !seed_4_waited.exchange(true))
      seed_5_first = counter.wait_for(4);
    return fake_run(s, {4, 5});
  };
  const auto report = fuzz(options);
  REQUIRE(seed_5_first);
  REQUIRE(report.failure.has_value());
  CHECK(report.failure->seed == 4);
  CHECK(report.failure->expectation == "safety");
  CHECK(report.progress.runs == 5);
}

TEST_CASE("fuzz --jobs: a run that throws stops the search like a failure", "[fuzz][jobs]") {
  FuzzOptions options = stand_in_search(40, 1);
  auto throwing_at = [](std::uint64_t bad, std::set<std::uint64_t> failing) {
    return [=](const Scenario& s, const RunOptions&) {
      if (s.seed == bad) throw std::runtime_error("run " + std::to_string(bad) + " threw");
      return fake_run(s, failing);
    };
  };
  for (std::uint32_t jobs : {1u, 2u, 3u}) {
    INFO("jobs " << jobs);
    options.jobs = jobs;
    // A throw below the lowest failure reaches the caller ...
    options.runner = throwing_at(3, {6});
    CHECK_THROWS_WITH(fuzz(options), "run 3 threw");
    // ... a throw above it does not: a single thread would never have run that seed.
    options.runner = throwing_at(6, {2});
    auto report = fuzz(options);
    REQUIRE(report.failure.has_value());
    CHECK(report.failure->seed == 2);
  }
}

TEST_CASE("fuzz --jobs: parallel runs cannot share a trace stream", "[fuzz][jobs]") {
  FuzzOptions options;
  options.max_runs = 1;
  std::ostringstream trace;
  options.run.trace = &trace;
  options.jobs = 2;
  CHECK_THROWS_AS(fuzz(options), std::invalid_argument);
}
