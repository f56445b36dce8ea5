// run_scenario judges each expectation, and the "violation expected" forms fail when
// the run is in fact correct (so they cannot pass vacuously).
#include <catch2/catch.hpp>

#include "scenarios/loader.hpp"
#include "scenarios/runner.hpp"

using namespace knhk;
using namespace knhk::scenarios;

namespace {

const char* kHealthy =
    "name: healthy\nseed: 5\nduration: 3s\n"
    "protocol: {kind: pbft, nodes: 4, view_timeout: 300ms}\n"
    "network: {latency: {dist: constant, value: 5ms}}\n"
    "clients: {count: 2, request_timeout: 500ms}\n";

RunResult run(const std::string& expect, std::optional<std::uint64_t> seed = std::nullopt) {
  RunOptions o;
  o.seed = seed;
  return run_scenario(load_scenario_text(std::string(kHealthy) + expect), o);
}

const ExpectationResult& named(const RunResult& r, const std::string& name) {
  for (const auto& e : r.expectations)
    if (e.name == name) return e;
  FAIL("no expectation " << name);
  throw;
}

}  // namespace

TEST_CASE("a healthy run passes safety, liveness and its bounds", "[scenarios][runner]") {
  auto r =
      run("expect: {liveness: {within: 500ms}, min_commits: 20, max_view_changes: 0, "
          "latency_p99_max: 100ms, byzantine_detected: []}\n");
  for (const auto& e : r.expectations) INFO(e.name << ": " << e.detail);
  CHECK(r.passed());
  CHECK(r.expectations.size() == 6);
  CHECK(r.metrics.commands_committed >= 20);
}

TEST_CASE("safety: false and liveness: false fail when nothing goes wrong", "[scenarios][runner]") {
  auto r = run("expect: {safety: false, liveness: false}\n");
  CHECK_FALSE(r.passed());
  CHECK_FALSE(named(r, "safety: false").passed);
  CHECK(named(r, "safety: false").detail == "expected a safety violation, the checkers found none");
  CHECK_FALSE(named(r, "liveness: false").passed);
}

TEST_CASE("bounds that do not hold fail with the measured value", "[scenarios][runner]") {
  auto r = run("expect: {min_commits: 1000000, latency_p50_max: 1ms, byzantine_detected: [1]}\n");
  CHECK_FALSE(named(r, "min_commits").passed);
  CHECK(named(r, "min_commits").detail.find(", need ≥ 1000000") != std::string::npos);
  CHECK_FALSE(named(r, "latency_p50_max").passed);
  CHECK_FALSE(named(r, "byzantine_detected").passed);
  CHECK(named(r, "byzantine_detected").detail == "flagged [], expected [1]");
  CHECK(r.first_failure()->name == "min_commits");
}

TEST_CASE("liveness that cannot be judged in the run fails", "[scenarios][runner]") {
  auto r = run("expect: {liveness: {within: 5s}}\n");
  CHECK_FALSE(named(r, "liveness").passed);
  CHECK(named(r, "liveness").detail.find("liveness_not_shown") == 0);
}

TEST_CASE("same seed, same digest; another seed, another run", "[scenarios][runner][determinism]") {
  auto a = run("");
  auto b = run("");
  auto c = run("", 6);
  CHECK(a.trace_digest == b.trace_digest);
  CHECK(a.trace_events == b.trace_events);
  CHECK(a.trace_digest != c.trace_digest);
  CHECK(c.scenario.seed == 6);
}

TEST_CASE("the event budget stops a run deterministically", "[scenarios][runner]") {
  RunOptions o;
  o.max_events = 2000;
  auto s = load_scenario_text(std::string(kHealthy));
  auto r = run_scenario(s, o);
  REQUIRE(r.aborted_at.has_value());
  CHECK(*r.aborted_at < Time{} + s.duration);
  CHECK(named(r, "event_budget").passed == false);
  auto again = run_scenario(s, o);
  CHECK(again.trace_digest == r.trace_digest);
  CHECK(again.aborted_at == r.aborted_at);
}

TEST_CASE("liveness is judged from the last fault event and GST", "[scenarios][runner]") {
  auto s = load_scenario_text(std::string(kHealthy) +
                              "faults:\n  - {at: 1s, until: 2s, crash: 1}\n"
                              "  - {at: 500ms, crash: 2}\n");
  CHECK(liveness_start(s) == Time{} + Duration::secs(2));
  s.network.gst = Duration::millis_(2500);
  CHECK(liveness_start(s) == Time{} + Duration::millis_(2500));
  auto t = load_scenario_text(std::string(kHealthy) +
                              "faults:\n  - {at: 0s, byzantine: {node: 3, behavior: silent}}\n");
  CHECK(byzantine_nodes(t) == std::set<NodeId>{NodeId(3)});
}
