// knhk_py: the simulator as a Python module, for the plots of analysis/python/knhk_plot.py
// and for notebooks. One call runs a scenario file (the engine of `knhk run`, same seed ⇒
// same trace digest) and returns plain dicts and lists: the verdict, the checkers'
// results, every client request's submit/complete time, every commit, message counts by
// type and by node, view changes and the fault schedule. Times are seconds of virtual
// time (floats); a request that never completed has completed_s = NaN.
// The replicas' own trace events (view changes, timeouts, checkpoints) come as
// protocol_events.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <streambuf>
#include <string>
#include <string_view>
#include <utility>

#include "faults/schedule.hpp"
#include "scenarios/loader.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/writer.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace knhk::python {
namespace {

struct NodeTypeCounts {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t dropped = 0;
};

// A replica's own trace event (view_change, new_view, view_timeout, checkpoint, ...).
struct ProtocolEvent {
  double time_s = 0;
  std::string node;
  std::string type;
  std::uint64_t view = 0;
};

// A trace sink that keeps no text: it reads each JSON line as the simulation writes it,
// counts sends and drops by sender and deliveries by receiver, per message type, and keeps
// the replicas' own
// protocol events. The run record has neither (it counts by type only). Keys are unique
// within a line and values are numbers or strings without quotes or commas except in
// `detail`, the last field, which is never read (sim/trace.hpp).
class TraceReader : public std::streambuf {
 public:
  // node label as in the trace ("2" for replica 2, "c5" for client 5) → type → counts
  std::map<std::string, std::map<std::string, NodeTypeCounts>> by_node;
  std::vector<ProtocolEvent> protocol_events;  // in trace order

 protected:
  int_type overflow(int_type ch) override {
    if (ch != traits_type::eof()) put(static_cast<char>(ch));
    return ch;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i) put(s[i]);
    return n;
  }

 private:
  void put(char c) {
    if (c != '\n') {
      line_.push_back(c);
      return;
    }
    count_line(line_);
    line_.clear();
  }

  static std::string_view field(std::string_view line, std::string_view key) {
    auto at = line.find(key);
    if (at == std::string_view::npos) return {};
    auto rest = line.substr(at + key.size());
    if (!rest.empty() && rest.front() == '"') rest.remove_prefix(1);
    return rest.substr(0, rest.find_first_of(",\"}"));
  }

  static std::uint64_t number(std::string_view text) {
    std::uint64_t v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    return v;
  }

  void count_line(std::string_view line) {
    auto kind = field(line, "\"kind\":");
    if (kind == "protocol") {
      protocol_events.push_back({static_cast<double>(number(field(line, "\"time_ns\":"))) / 1e9,
                                 std::string(field(line, "\"node\":")),
                                 std::string(field(line, "\"type\":")),
                                 number(field(line, "\"view\":"))});
      return;
    }
    if (kind != "send" && kind != "deliver" && kind != "drop") return;
    // A drop is traced where it happened: at the sender (with `to`) or at the destination
    // (with `from`); either way it is counted against the sender.
    auto from = kind == "drop" ? field(line, "\"from\":") : std::string_view{};
    auto node = from.empty() ? field(line, "\"node\":") : from;
    auto& c = by_node[std::string(node)][std::string(field(line, "\"type\":"))];
    if (kind == "send") ++c.sent;
    if (kind == "deliver") ++c.received;
    if (kind == "drop") ++c.dropped;
  }

  std::string line_;
};

double seconds(Time t) {
  return t.seconds();
}

py::dict requests_columns(const sim::RunRecord& r) {
  py::list client, request, submitted, completed, retransmissions;
  const double not_completed = std::numeric_limits<double>::quiet_NaN();
  for (const auto& op : r.operations) {
    client.append(op.client.value);
    request.append(op.request.value);
    submitted.append(seconds(op.submitted));
    completed.append(op.completed ? seconds(*op.completed) : not_completed);
    retransmissions.append(op.retransmissions);
  }
  return py::dict("client"_a = client, "request"_a = request, "submitted_s"_a = submitted,
                  "completed_s"_a = completed, "retransmissions"_a = retransmissions);
}

py::dict commits_columns(const sim::RunRecord& r) {
  py::list time, node, position, view, requests;
  for (const auto& c : r.commits) {
    time.append(seconds(c.time));
    node.append(c.node.value);
    position.append(c.position.value);
    view.append(c.view.value);
    requests.append(c.batch ? c.batch->size() : 0);
  }
  return py::dict("time_s"_a = time, "node"_a = node, "position"_a = position, "view"_a = view,
                  "requests"_a = requests);
}

// When each distinct request was first committed by an honest replica: the series behind
// "commits per second". Its length is the `commits` figure of `knhk run`.
py::list committed_ops_times(const sim::RunRecord& r, const analysis::CheckScope& scope) {
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  py::list times;
  for (const auto& c : r.commits) {
    if (!scope.honest(c.node) || !c.batch) continue;
    for (const sim::RecordedRequest& req : *c.batch)
      if (seen.insert({req.client.value, req.id.value}).second) times.append(seconds(c.time));
  }
  return times;
}

py::dict messages_by_type(const sim::RunRecord& r) {
  py::dict out;
  for (const auto& [type, c] : r.messages)
    out[py::str(type)] =
        py::dict("sent"_a = c.sent, "bytes"_a = c.sent_bytes, "delivered"_a = c.delivered,
                 "dropped"_a = c.dropped, "duplicated"_a = c.duplicated);
  return out;
}

py::dict protocol_events_columns(const TraceReader& reader) {
  py::list time, node, type, view;
  for (const auto& e : reader.protocol_events) {
    time.append(e.time_s);
    node.append(e.node);
    type.append(e.type);
    view.append(e.view);
  }
  return py::dict("time_s"_a = time, "node"_a = node, "type"_a = type, "view"_a = view);
}

py::dict messages_by_node(const TraceReader& counter) {
  py::dict out;
  for (const auto& [node, types] : counter.by_node) {
    py::dict per_type;
    for (const auto& [type, c] : types)
      per_type[py::str(type)] =
          py::dict("sent"_a = c.sent, "received"_a = c.received, "dropped"_a = c.dropped);
    out[py::str(node)] = per_type;
  }
  return out;
}

py::list faults_list(const scenarios::Scenario& s) {
  py::list out;
  for (const auto& f : s.faults) {
    py::object until = f.until ? py::object(py::float_(f.until->seconds())) : py::none();
    out.append(py::dict("kind"_a = faults::fault_kind_name(f.action),
                        "label"_a = faults::describe(f), "at_s"_a = f.at.seconds(),
                        "until_s"_a = until));
  }
  return out;
}

py::dict violation_dict(const analysis::Violation& v) {
  py::list nodes;
  for (NodeId n : v.nodes) nodes.append(n.value);
  py::object position = v.position ? py::object(py::int_(*v.position)) : py::none();
  return py::dict("check"_a = v.check, "message"_a = analysis::describe(v), "position"_a = position,
                  "nodes"_a = nodes, "time_s"_a = seconds(v.time));
}

// One verdict per checker: True (no violation), False, or None (not judged in this run:
// linearizability needs the kv workload, liveness a `within` bound in `expect`).
py::dict checker_verdicts(const scenarios::RunResult& r,
                          const std::vector<analysis::Violation>& live) {
  auto clean = [&](const char* check) {
    for (const auto& v : r.safety_violations)
      if (v.check == check) return false;
    return true;
  };
  py::dict out;
  for (const char* check : {"agreement", "state_hash", "validity", "integrity"})
    out[check] = clean(check);
  out["linearizability"] = r.scenario.clients.workload == AppKind::kv
                               ? py::object(py::bool_(clean("linearizability")))
                               : py::none();
  const bool judged = r.scenario.expect.liveness.mode == scenarios::LivenessExpect::Mode::within;
  out["liveness"] = judged ? py::object(py::bool_(live.empty())) : py::none();
  return out;
}

py::dict checks_dict(const scenarios::RunResult& r) {
  std::vector<analysis::Violation> live;
  const auto& l = r.scenario.expect.liveness;
  if (l.mode == scenarios::LivenessExpect::Mode::within)
    live = analysis::check_liveness(r.record, r.liveness_from, l.within);
  py::list violations;
  for (const auto& v : r.safety_violations) violations.append(violation_dict(v));
  for (const auto& v : live) violations.append(violation_dict(v));
  return py::dict("verdicts"_a = checker_verdicts(r, live), "violations"_a = violations);
}

py::dict scenario_dict(const scenarios::Scenario& s) {
  return py::dict("name"_a = s.name, "protocol"_a = to_string(s.protocol.kind),
                  "nodes"_a = s.protocol.nodes, "f"_a = (s.protocol.nodes - 1) / 3,
                  "seed"_a = s.seed, "duration_s"_a = s.duration.seconds(),
                  "clients"_a = s.clients.count, "workload"_a = to_string(s.clients.workload),
                  "faults"_a = faults_list(s));
}

py::dict metrics_dict(const analysis::RunMetrics& m) {
  auto ms = [](const std::optional<Duration>& d) {
    return d ? py::object(py::float_(d->millis())) : py::none();
  };
  py::list flagged;
  for (NodeId n : m.flagged) flagged.append(n.value);
  return py::dict("commits"_a = m.commands_committed, "positions"_a = m.positions_committed,
                  "requests_submitted"_a = m.operations_submitted,
                  "requests_completed"_a = m.operations_completed,
                  "latency_p50_ms"_a = ms(m.latency_p50), "latency_p99_ms"_a = ms(m.latency_p99),
                  "view_changes"_a = m.max_view_changes, "flagged"_a = flagged);
}

py::dict result_dict(const scenarios::RunResult& r, const TraceReader& counter,
                     const std::string& file) {
  py::list expectations;
  for (const auto& e : r.expectations)
    expectations.append(py::dict("name"_a = e.name, "passed"_a = e.passed, "detail"_a = e.detail));
  py::dict view_changes;
  for (const auto& [node, n] : r.record.view_changes) view_changes[py::int_(node.value)] = n;
  analysis::CheckScope scope{scenarios::byzantine_nodes(r.scenario)};
  return py::dict("file"_a = file, "scenario"_a = scenario_dict(r.scenario),
                  "passed"_a = r.passed(), "verdict"_a = r.passed() ? "pass" : "fail",
                  "expectations"_a = expectations, "checks"_a = checks_dict(r),
                  "trace_digest"_a = r.trace_digest.hex(), "trace_events"_a = r.trace_events,
                  "end_s"_a = seconds(r.record.end), "liveness_from_s"_a = seconds(r.liveness_from),
                  "metrics"_a = metrics_dict(r.metrics), "requests"_a = requests_columns(r.record),
                  "commits"_a = commits_columns(r.record),
                  "committed_ops_s"_a = committed_ops_times(r.record, scope),
                  "messages_by_type"_a = messages_by_type(r.record),
                  "messages_by_node"_a = messages_by_node(counter), "view_changes"_a = view_changes,
                  "protocol_events"_a = protocol_events_columns(counter));
}

scenarios::Scenario load(const std::string& path) {
  try {
    return scenarios::load_scenario_file(path);
  } catch (const scenarios::ScenarioError& e) {
    throw py::value_error(e.what());  // FILE:LINE:COLUMN: message
  }
}

// The scenario with another cluster size, validated again as a whole (a fault may name a
// node the smaller cluster lacks): written back to YAML and loaded like a file.
scenarios::Scenario with_nodes(scenarios::Scenario s, std::uint32_t nodes,
                               const std::string& path) {
  s.protocol.nodes = nodes;
  try {
    return scenarios::load_scenario_text(
        scenarios::to_yaml(s), path + " (rewritten with nodes: " + std::to_string(nodes) + ")");
  } catch (const scenarios::ScenarioError& e) {
    throw py::value_error(e.what());
  }
}

// `events`: read the trace for messages_by_node and protocol_events. Formatting and
// scanning every event costs about half again the run's own time, so a caller that only
// needs the figures (a sweep) can leave it off; both keys are then None.
py::dict run_file(const std::string& path, std::optional<std::uint64_t> seed,
                  std::optional<std::uint32_t> nodes, bool events) {
  scenarios::Scenario scenario = load(path);
  if (nodes) scenario = with_nodes(std::move(scenario), *nodes, path);
  TraceReader counter;
  std::ostream sink(&counter);
  scenarios::RunOptions options;
  options.seed = seed;
  if (events) options.trace = &sink;
  scenarios::RunResult result;
  {
    py::gil_scoped_release unlocked;  // a long run does not block other Python threads
    result = scenarios::run_scenario(scenario, options);
  }
  py::dict out = result_dict(result, counter, path);
  if (!events) {
    out["messages_by_node"] = py::none();
    out["protocol_events"] = py::none();
  }
  return out;
}

}  // namespace
}  // namespace knhk::python

PYBIND11_MODULE(knhk_py, m) {
  m.doc() = "knhk: run BFT consensus scenarios in the deterministic simulator";
  m.def("run", &knhk::python::run_file, "path"_a, "seed"_a = py::none(), "nodes"_a = py::none(),
        "events"_a = true,
        "Run a scenario YAML file (seed overrides the file's seed, nodes its cluster size; "
        "events=False skips reading the trace: messages_by_node and protocol_events are None, "
        "the run is faster); "
        "returns a dict with the "
        "verdict, checks, trace_digest, requests, commits, committed_ops_s, "
        "messages_by_type, messages_by_node, view_changes and the scenario's faults. "
        "Raises ValueError for an invalid file.");
  m.def(
      "load",
      [](const std::string& path) { return knhk::python::scenario_dict(knhk::python::load(path)); },
      "path"_a,
      "Validate a scenario file without running it; returns its name, protocol, "
      "nodes, seed, duration and faults. Raises ValueError for an invalid file.");
}
