#include "scenarios/runner.hpp"

#include <algorithm>
#include <cstdio>

#include "faults/schedule.hpp"
#include "protocols/common/invariant.hpp"
#include "scenarios/sim_config.hpp"
#include "scenarios/units.hpp"
#include "sim/simulation.hpp"

namespace knhk::scenarios {
namespace {

// "161.470ms" (a measured latency is rarely a whole number of milliseconds).
std::string millis_text(Duration d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3fms", d.millis());
  return buf;
}

using analysis::Violation;

std::string ids(const std::set<NodeId>& nodes) {
  std::string s;
  for (NodeId n : nodes) s += (s.empty() ? "" : ", ") + std::to_string(n.value);
  return "[" + s + "]";
}

ExpectationResult judge_safety(const RunResult& r) {
  const auto& v = r.safety_violations;
  if (r.scenario.expect.safety)
    return {"safety", v.empty(), v.empty() ? "no violation" : analysis::describe(v.front())};
  return {"safety: false", !v.empty(),
          v.empty() ? "expected a safety violation, the checkers found none"
                    : "violation found as expected: " + analysis::describe(v.front())};
}

std::vector<Violation> real_stalls(std::vector<Violation> v) {
  std::erase_if(v, [](const Violation& x) { return x.check != "liveness"; });
  return v;
}

std::optional<ExpectationResult> judge_liveness(const RunResult& r) {
  const LivenessExpect& l = r.scenario.expect.liveness;
  const Time end = Time{} + r.scenario.duration;
  if (l.mode == LivenessExpect::Mode::unchecked) return std::nullopt;
  if (l.mode == LivenessExpect::Mode::within) {
    auto v = analysis::check_liveness(r.record, r.liveness_from, l.within);
    return ExpectationResult{"liveness", v.empty(),
                             v.empty() ? "every request after " +
                                             format_duration(r.liveness_from - Time{}) +
                                             " completed within " + format_duration(l.within)
                                       : analysis::describe(v.front())};
  }
  // `liveness: false`: some request pending in the first half of the time after the last
  // fault is still not complete half a run later.
  Duration half = Duration{(end - r.liveness_from).ns / 2};
  auto v = real_stalls(analysis::check_liveness(r.record, r.liveness_from, half));
  return ExpectationResult{"liveness: false", !v.empty(),
                           v.empty() ? "expected a request to stall, every request completed"
                                     : "stall found as expected: " + analysis::describe(v.front())};
}

void judge_quantities(RunResult& r) {
  const ExpectSpec& e = r.scenario.expect;
  const auto& m = r.metrics;
  auto& out = r.expectations;
  if (e.min_commits)
    out.push_back({"min_commits", m.commands_committed >= *e.min_commits,
                   std::to_string(m.commands_committed) + " committed, need ≥ " +
                       std::to_string(*e.min_commits)});
  if (e.max_view_changes)
    out.push_back({"max_view_changes", m.max_view_changes <= *e.max_view_changes,
                   std::to_string(m.max_view_changes) + " view changes, allowed ≤ " +
                       std::to_string(*e.max_view_changes)});
  auto latency = [&](const char* name, const std::optional<Duration>& limit,
                     const std::optional<Duration>& value) {
    if (!limit) return;
    out.push_back({name, value && *value <= *limit,
                   (value ? millis_text(*value) : std::string("no completed request")) +
                       ", allowed ≤ " + format_duration(*limit)});
  };
  latency("latency_p50_max", e.latency_p50_max, m.latency_p50);
  latency("latency_p99_max", e.latency_p99_max, m.latency_p99);
  if (e.byzantine_detected) {
    std::set<NodeId> want, honest_flagged;
    for (auto id : *e.byzantine_detected) want.insert(NodeId(id));
    auto byz = byzantine_nodes(r.scenario);
    for (NodeId n : m.flagged)
      if (!byz.count(n)) honest_flagged.insert(n);
    bool all = std::includes(m.flagged.begin(), m.flagged.end(), want.begin(), want.end());
    out.push_back({"byzantine_detected", all && honest_flagged.empty(),
                   "flagged " + ids(m.flagged) + ", expected " + ids(want) +
                       (honest_flagged.empty() ? "" : "; honest flagged " + ids(honest_flagged))});
  }
}

std::uint64_t event_budget(const Scenario& s, const RunOptions& o) {
  if (o.max_events) return *o.max_events;
  return 1000000 + static_cast<std::uint64_t>(2e6 * s.duration.seconds());
}

// Runs event by event so that a storm of events is cut off after a bounded amount of
// work; the cut depends only on event counts, so it is deterministic too.
// A replica whose internal invariant breaks (InvariantViolation) stops the run there: the
// message is kept in `invariant` and reported as a failed expectation.
std::optional<Time> run_within_budget(sim::Simulation& simulation, Time end, std::uint64_t budget,
                                      std::optional<std::string>& invariant) {
  simulation.start();
  auto& scheduler = simulation.scheduler();
  while (scheduler.pending() > 0 && scheduler.next_time() <= end) {
    try {
      simulation.step();
    } catch (const InvariantViolation& e) {
      invariant = std::string(e.what()) + " at " + format_duration(simulation.now() - Time{});
      return simulation.now();
    }
    if (simulation.trace().events() > budget) {
      simulation.run_until(simulation.now());  // brings the record's end up to date
      return simulation.now();
    }
  }
  simulation.run_until(end);
  return std::nullopt;
}

}  // namespace

bool RunResult::passed() const {
  return first_failure() == nullptr;
}

const ExpectationResult* RunResult::first_failure() const {
  for (const auto& e : expectations)
    if (!e.passed) return &e;
  return nullptr;
}

Time liveness_start(const Scenario& s) {
  Duration from = s.network.gst.value_or(Duration{});
  for (const auto& f : s.faults) from = std::max(from, f.until.value_or(f.at));
  return Time{} + from;
}

std::set<NodeId> byzantine_nodes(const Scenario& s) {
  std::set<NodeId> out;
  for (const auto& f : s.faults)
    if (auto* b = std::get_if<ByzantineFault>(&f.action)) out.insert(NodeId(b->node));
  return out;
}

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  RunResult r;
  r.scenario = scenario;
  if (options.seed) r.scenario.seed = *options.seed;
  const Scenario& s = r.scenario;
  auto controls = faults::make_byzantine_controls(s.faults, s.protocol.nodes, s.seed);
  {
    sim::SimulationConfig config = to_simulation_config(s);
    config.params.bug = options.bug;
    sim::Simulation simulation(std::move(config),
                               faults::byzantine_factory(sim::default_replica_factory(), controls));
    if (options.trace) simulation.set_trace_sink(options.trace);
    faults::install_schedule(simulation, s.faults, controls);
    r.aborted_at = run_within_budget(simulation, Time{} + s.duration, event_budget(s, options),
                                     r.invariant_violation);
    r.record = simulation.record();
    r.trace_digest = simulation.trace_digest();
    r.trace_events = simulation.trace().events();
  }
  analysis::CheckScope scope{byzantine_nodes(s)};
  r.metrics = analysis::compute_metrics(r.record, scope);
  r.safety_violations = analysis::check_safety(r.record, scope);
  if (s.clients.workload == AppKind::kv)
    for (auto& v : analysis::check_kv_linearizability(r.record))
      r.safety_violations.push_back(std::move(v));
  r.liveness_from = liveness_start(s);
  if (r.invariant_violation)
    r.expectations.push_back(
        {"invariant", false,
         *r.invariant_violation + "; the checks below cover the run until then"});
  else if (r.aborted_at)
    r.expectations.push_back(
        {"event_budget", false,
         "run stopped at " +
             format_duration(Duration::millis_((*r.aborted_at - Time{}).ns / 1000000)) + " after " +
             std::to_string(r.trace_events) +
             " events (a message storm?); the checks below cover only the run until then"});
  r.expectations.push_back(judge_safety(r));
  if (auto l = judge_liveness(r)) r.expectations.push_back(*l);
  judge_quantities(r);
  return r;
}

}  // namespace knhk::scenarios
