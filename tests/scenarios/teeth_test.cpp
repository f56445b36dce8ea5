// The checkers have teeth: for each deliberately wrong protocol variant, the fuzzing loop
// behind `knhk fuzz` finds a failure within a bounded number of generated runs, shrinks
// it, and the shrunk scenario — written as YAML and loaded back — replays the same failure
// with the variant and passes with the correct protocol. The correct protocols pass the
// same kind of runs without a failure.
#include <catch2/catch.hpp>

#include <sstream>

#include "scenarios/fuzz.hpp"
#include "scenarios/loader.hpp"
#include "scenarios/writer.hpp"
#include "tests/support/examples.hpp"

using namespace knhk;
using namespace knhk::scenarios;
using knhk::testing::example;

namespace {

constexpr std::uint64_t kMaxRunsToFind = 120;

FuzzOptions fuzz_options(ProtocolKind protocol, BugVariant bug, std::uint64_t runs) {
  FuzzOptions o;
  o.generator.protocol = protocol;
  o.generator.max_nodes = 7;
  o.generator.budget = FaultBudget::within_f;
  o.max_runs = runs;
  o.max_shrink_attempts = 150;
  o.run.bug = bug;
  return o;
}

FuzzFailure require_found(const FuzzOptions& options) {
  const BugVariant bug = options.run.bug;
  auto report = fuzz(options);
  INFO(to_string(options.generator.protocol.value_or(ProtocolKind::pbft))
       << " with " << to_string(bug));
  REQUIRE(report.failure.has_value());
  const FuzzFailure& f = *report.failure;
  INFO("found " << f.expectation << " after " << report.progress.runs << " runs: " << f.detail
                << "\nshrunk:\n"
                << to_yaml(f.shrunk));
  // The YAML a person gets replays the failure.
  Scenario replayed = load_scenario_text(to_yaml(f.shrunk), "shrunk.yaml");
  REQUIRE(replayed == f.shrunk);
  RunOptions with_bug;
  with_bug.bug = bug;
  auto again = run_scenario(replayed, with_bug);
  REQUIRE(again.first_failure() != nullptr);
  REQUIRE(again.first_failure()->name == f.expectation);
  // The correct protocol does not fail the very same scenario the same way: the variant
  // is the cause. (It may fail to *show* liveness: shrinking a safety failure shortens runs.)
  auto with = failure_signature_of(replayed, with_bug);
  auto without = failure_signature_of(replayed, {});
  INFO("with the variant: " << with.value_or("pass") << "; correct: " << without.value_or("pass"));
  REQUIRE(with != without);
  // ... and shrinking kept it small.
  REQUIRE(f.shrunk.faults.size() <= f.original.faults.size());
  REQUIRE(f.shrunk.protocol.nodes <= f.original.protocol.nodes);
  return f;
}

FuzzFailure require_caught(ProtocolKind protocol, BugVariant bug,
                           std::optional<std::string> hunt = std::nullopt) {
  auto options = fuzz_options(protocol, bug, kMaxRunsToFind);
  options.hunt = std::move(hunt);
  return require_found(options);
}

void require_clean(ProtocolKind protocol) {
  auto report = fuzz(fuzz_options(protocol, BugVariant::none, kMaxRunsToFind));
  INFO(to_string(protocol) << ": "
                           << (report.failure
                                   ? report.failure->detail + "\n" + to_yaml(report.failure->shrunk)
                                   : std::string()));
  REQUIRE_FALSE(report.failure.has_value());
  REQUIRE(report.progress.runs == kMaxRunsToFind);
}

}  // namespace

TEST_CASE("teeth: the correct protocols pass the runs that catch the variants", "[teeth]") {
  require_clean(ProtocolKind::pbft);
  require_clean(ProtocolKind::hotstuff);
}

TEST_CASE("teeth: PBFT with a quorum of 2f is caught", "[teeth]") {
  auto f = require_caught(ProtocolKind::pbft, BugVariant::small_quorum);
  CHECK(f.expectation == "safety");
}

// Caught as what it is, a safety violation: a lossy window lets a slot commit at one
// replica only; the new primary that ignores the P-sets gives the slot another batch.
// (Runs that only stall are skipped: the variant also breaks liveness.)
TEST_CASE("teeth: PBFT whose new view drops prepared certificates is caught", "[teeth]") {
  auto f = require_caught(ProtocolKind::pbft, BugVariant::drop_prepared_certificates, "safety");
  CHECK(f.expectation == "safety");
}

TEST_CASE("teeth: PBFT executing before commit is caught", "[teeth]") {
  auto f = require_caught(ProtocolKind::pbft, BugVariant::execute_before_commit);
  CHECK(f.expectation == "safety");
}

TEST_CASE("teeth: PBFT checkpoint GC discarding uncommitted entries is caught", "[teeth]") {
  auto f = require_caught(ProtocolKind::pbft, BugVariant::gc_uncommitted);
  CHECK(f.expectation == "safety");
}

TEST_CASE("teeth: HotStuff with a quorum of 2f is caught", "[teeth]") {
  auto f = require_caught(ProtocolKind::hotstuff, BugVariant::small_quorum);
  CHECK(f.expectation == "safety");
}

TEST_CASE("teeth: HotStuff ignoring its lock is caught (the equivocating leader's fork)",
          "[teeth]") {
  auto f = require_caught(ProtocolKind::hotstuff, BugVariant::ignore_lock);
  CHECK(f.expectation == "safety");
}

// Caught as a safety violation: a replica that executed a proposal which never gathered
// its three-chain disagrees with the others at that position. (The variant also stalls
// almost every run: it ignores votes for views it executed, so runs that only stall are
// skipped.)
TEST_CASE("teeth: HotStuff executing before the three-chain commit is caught", "[teeth]") {
  auto f = require_caught(ProtocolKind::hotstuff, BugVariant::execute_before_commit, "safety");
  CHECK(f.expectation == "safety");
}

// The fork attack of an equivocating HotStuff leader (faults/hotstuff_fork.hpp) on the
// golden example: correct HotStuff refuses the fork (the example passes, safety and
// liveness), a HotStuff that ignores its lock commits it — an agreement violation.
TEST_CASE("teeth: HotStuff ignoring its lock commits an equivocating leader's fork", "[teeth]") {
  Scenario s = load_scenario_file(example("hotstuff/fork-below-lock.yaml"));
  // Correct HotStuff passes, and it is because its locked replicas refused the fork.
  std::ostringstream trace;
  RunOptions traced;
  traced.trace = &trace;
  REQUIRE(run_scenario(s, traced).passed());
  CHECK(trace.str().find("unsafe_proposal") != std::string::npos);
  RunOptions with_bug;
  with_bug.bug = BugVariant::ignore_lock;
  auto r = run_scenario(s, with_bug);
  REQUIRE_FALSE(r.safety_violations.empty());
  INFO(analysis::describe(r.safety_violations.front()));
  CHECK(r.safety_violations.front().check == "agreement");
  REQUIRE(r.first_failure() != nullptr);
  CHECK(r.first_failure()->name == "safety");
}

// `knhk fuzz --protocol hotstuff --budget f+1` with the variant: half the generated runs
// are a colluding fork attack (every faulty replica equivocates), which finds the missing
// lock quickly; the shrunk scenario passes with the correct protocol.
TEST_CASE("teeth: fuzzing beyond the budget finds HotStuff ignoring its lock", "[teeth]") {
  auto options = fuzz_options(ProtocolKind::hotstuff, BugVariant::ignore_lock, 40);
  options.generator.budget = FaultBudget::f_plus_one;
  options.generator.nodes = 4;
  auto f = require_found(options);
  CHECK(f.expectation == "safety");
}

// Not one lucky seed: over several seeds of the same example, correct HotStuff always
// refuses the fork and the lock-ignoring variant always commits it.
TEST_CASE("teeth: the fork attack works across seeds", "[teeth]") {
  Scenario s = load_scenario_file(example("hotstuff/fork-below-lock.yaml"));
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("seed " << seed);
    RunOptions correct, buggy;
    correct.seed = buggy.seed = seed;
    buggy.bug = BugVariant::ignore_lock;
    CHECK(run_scenario(s, correct).passed());
    auto r = run_scenario(s, buggy);
    REQUIRE_FALSE(r.safety_violations.empty());
    CHECK(r.safety_violations.front().check == "agreement");
  }
}
