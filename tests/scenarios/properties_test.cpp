// The properties of issue 6, checked by rapidcheck over generated scenarios: safety and
// liveness for both protocols within the fault budget, determinism, and recovery. A
// failure is shrunk by the scenario shrinker and reported as a YAML file's text that
// `knhk run` replays.
#include <rapidcheck.h>
#include <catch2/catch.hpp>

#include <sstream>

#include "scenarios/fuzz.hpp"
#include "scenarios/writer.hpp"

using namespace knhk;
using namespace knhk::scenarios;

namespace {

// Runs `property` `runs` times with a fixed rapidcheck seed, so the suite is repeatable;
// `knhk fuzz` is the open-ended search.
template <class Property>
void check_property(const std::string& name, int runs, Property property) {
  rc::detail::TestParams params;
  params.maxSuccess = runs;
  params.maxSize = 100;
  params.seed = 0x6b6e686b;  // "knhk"
  rc::detail::TestMetadata metadata;
  metadata.id = name;
  metadata.description = name;
  auto result = rc::detail::checkTestable(property, metadata, params);
  std::ostringstream message;
  rc::detail::printResultMessage(result, message);
  INFO(name << "\n" << message.str());
  REQUIRE(result.template is<rc::detail::SuccessResult>());
}

GeneratorOptions options_for(ProtocolKind p, std::uint32_t nodes) {
  GeneratorOptions o;
  o.protocol = p;
  o.nodes = nodes;
  o.duration = Duration::secs(5);
  return o;
}

// The failing scenario, shrunk, as the text of a scenario file.
std::string shrunk_counterexample(const Scenario& s) {
  const auto wanted = failure_signature_of(s, {});
  auto shrunk = shrink_scenario(
      s, [&](const Scenario& c) { return failure_signature_of(c, {}) == wanted; }, 150);
  return "shrunk counterexample (knhk run FILE replays it):\n" + to_yaml(shrunk.scenario);
}

void generated_runs_pass(ProtocolKind protocol, const char* which) {
  const auto seed = *rc::gen::inRange<std::uint64_t>(1, 1u << 30);
  const auto nodes = *rc::gen::inRange<std::uint32_t>(4, 14);
  Scenario s = generate_scenario(seed, options_for(protocol, nodes));
  auto r = run_scenario(s);
  for (const auto& e : r.expectations) {
    if (e.name != which || e.passed) continue;
    RC_FAIL(e.name + " failed: " + e.detail + "\n" + shrunk_counterexample(s));
  }
}

}  // namespace

TEST_CASE("property: PBFT keeps safety under any generated schedule within f", "[property]") {
  check_property("pbft safety", 25, [] { generated_runs_pass(ProtocolKind::pbft, "safety"); });
}

TEST_CASE("property: HotStuff keeps safety under any generated schedule within f", "[property]") {
  check_property("hotstuff safety", 25,
                 [] { generated_runs_pass(ProtocolKind::hotstuff, "safety"); });
}

TEST_CASE("property: PBFT completes every request after the faults end and GST", "[property]") {
  check_property("pbft liveness", 25, [] { generated_runs_pass(ProtocolKind::pbft, "liveness"); });
}

TEST_CASE("property: HotStuff completes every request after the faults end and GST", "[property]") {
  check_property("hotstuff liveness", 25,
                 [] { generated_runs_pass(ProtocolKind::hotstuff, "liveness"); });
}

TEST_CASE("property: the same scenario and seed give the same trace digest", "[property]") {
  check_property("determinism", 10, [] {
    const auto seed = *rc::gen::inRange<std::uint64_t>(1, 1u << 30);
    const auto protocol = *rc::gen::element(ProtocolKind::pbft, ProtocolKind::hotstuff);
    const auto nodes = *rc::gen::inRange<std::uint32_t>(4, 8);
    Scenario s = generate_scenario(seed, options_for(protocol, nodes));
    auto a = run_scenario(s);
    auto b = run_scenario(s);
    RC_ASSERT(a.trace_digest == b.trace_digest);
    RC_ASSERT(a.trace_events == b.trace_events);
    RunOptions other;
    other.seed = s.seed + 1;
    RC_ASSERT(run_scenario(s, other).trace_digest != a.trace_digest);
  });
}

TEST_CASE("property: a crashed and restarted replica reaches the others' state hash",
          "[property]") {
  check_property("recovery", 12, [] {
    const auto seed = *rc::gen::inRange<std::uint64_t>(1, 1u << 30);
    const auto protocol = *rc::gen::element(ProtocolKind::pbft, ProtocolKind::hotstuff);
    const auto nodes = *rc::gen::inRange<std::uint32_t>(4, 8);
    const auto victim = *rc::gen::inRange<std::uint32_t>(0, nodes);
    const auto crash_ms = *rc::gen::inRange<std::int64_t>(200, 1200);
    const auto down_ms = *rc::gen::inRange<std::int64_t>(100, 800);
    GeneratorOptions o = options_for(protocol, nodes);
    o.byzantine = false;
    Scenario s = generate_scenario(seed, o);
    s.faults.clear();  // only the crash and restart under test
    s.protocol.checkpoint_interval = 8;
    s.protocol.snapshot_interval = 8;
    s.faults.push_back({Duration::millis_(crash_ms), std::nullopt, CrashFault{victim}});
    s.faults.push_back({Duration::millis_(crash_ms + down_ms), std::nullopt, RestartFault{victim}});
    auto r = run_scenario(s);
    RC_ASSERT(r.safety_violations.empty());
    // The restarted replica's last commit must be at a position the others agree on,
    // and it must have caught up to within a few positions of the best replica.
    std::uint64_t best = 0, restarted = 0;
    Digest restarted_hash;
    for (const auto& c : r.record.commits) {
      best = std::max(best, c.position.value);
      if (c.node == NodeId(victim) && c.position.value >= restarted) {
        restarted = c.position.value;
        restarted_hash = c.state_hash;
      }
    }
    RC_ASSERT(restarted > 0);
    bool matched = false;
    for (const auto& c : r.record.commits)
      if (c.node != NodeId(victim) && c.position.value == restarted)
        matched |= c.state_hash == restarted_hash;
    RC_ASSERT(matched);
    RC_ASSERT(best - restarted <= 16);
  });
}
