#include "analysis/checkers.hpp"

#include "analysis/linearizability.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

namespace knhk::analysis {
namespace {

std::string node_list(const std::vector<NodeId>& nodes) {
  std::string s;
  for (NodeId n : nodes) s += (s.empty() ? "" : ", ") + std::to_string(n.value);
  return "[" + s + "]";
}

std::vector<NodeId> sorted_unique(std::vector<NodeId> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// What each honest replica committed at one position, in commit order.
struct PositionCommits {
  std::vector<const sim::CommitRecord*> commits;
};

std::map<std::uint64_t, PositionCommits> by_position(const sim::RunRecord& r,
                                                     const CheckScope& scope) {
  std::map<std::uint64_t, PositionCommits> out;
  for (const auto& c : r.commits)
    if (scope.honest(c.node)) out[c.position.value].commits.push_back(&c);
  return out;
}

// Describes a disagreement as "digest abc… by [0, 1]; digest def… by [2]".
std::string sides(const std::vector<const sim::CommitRecord*>& commits, bool by_state) {
  std::map<Digest, std::vector<NodeId>> groups;
  for (const auto* c : commits)
    groups[by_state ? c->state_hash : c->batch_digest].push_back(c->node);
  std::string s;
  for (auto& [digest, nodes] : groups)
    s += (s.empty() ? "" : "; ") + digest.short_hex() + " by " + node_list(sorted_unique(nodes));
  return s;
}

std::optional<Violation> position_violation(std::uint64_t pos, const PositionCommits& pc,
                                            bool by_state) {
  const auto* first = pc.commits.front();
  const sim::CommitRecord* conflict = nullptr;
  for (const auto* c : pc.commits) {
    bool differs =
        by_state ? c->state_hash != first->state_hash : c->batch_digest != first->batch_digest;
    if (differs) {
      conflict = c;
      break;
    }
  }
  if (!conflict) return std::nullopt;
  std::vector<NodeId> nodes;
  for (const auto* c : pc.commits) nodes.push_back(c->node);
  Violation v;
  v.check = by_state ? "state_hash" : "agreement";
  v.position = pos;
  v.nodes = sorted_unique(nodes);
  v.time = conflict->time;
  v.message = std::string(by_state ? "different state hashes" : "different batches") +
              " committed at position " + std::to_string(pos) + ": " + sides(pc.commits, by_state);
  return v;
}

using RequestKey = std::pair<std::uint32_t, std::uint64_t>;  // (client, request id)

// "6s", "1500ms", or "1009.051ms" for instants that are not whole milliseconds.
std::string time_text(Duration d) {
  if (d.ns % 1000000 == 0) return to_string(d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3fms", d.millis());
  return buf;
}

}  // namespace

std::vector<Violation> check_agreement(const sim::RunRecord& r, const CheckScope& scope) {
  std::vector<Violation> out;
  for (const auto& [pos, pc] : by_position(r, scope)) {
    if (auto v = position_violation(pos, pc, false))
      out.push_back(*v);
    else if (auto s = position_violation(pos, pc, true))
      out.push_back(*s);  // same batches, different results: execution diverged
  }
  return out;
}

std::vector<Violation> check_validity(const sim::RunRecord& r, const CheckScope& scope) {
  std::map<RequestKey, const Bytes*> submitted;
  for (const auto& op : r.operations)
    submitted[{op.client.value, op.request.value}] = &op.operation;
  std::vector<Violation> out;
  std::set<RequestKey> reported;
  for (const auto& c : r.commits) {
    if (!scope.honest(c.node) || !c.batch) continue;
    for (const sim::RecordedRequest& req : *c.batch) {
      RequestKey key{req.client.value, req.id.value};
      auto it = submitted.find(key);
      if (it != submitted.end() && *it->second == req.operation) continue;
      if (!reported.insert(key).second) continue;
      Violation v{"validity",
                  "replica " + std::to_string(c.node.value) + " committed request (client " +
                      std::to_string(key.first) + ", id " + std::to_string(key.second) +
                      ") at position " + std::to_string(c.position.value) +
                      (it == submitted.end() ? ", which no client submitted"
                                             : " with an operation its client never sent"),
                  c.position.value,
                  {c.node},
                  c.time};
      out.push_back(v);
    }
  }
  return out;
}

std::vector<Violation> check_integrity(const sim::RunRecord& r, const CheckScope& scope) {
  // Per replica: the position where each request first committed. A restarted replica may
  // report the same (position, request) again while recovering; only a second position counts.
  std::map<std::pair<NodeId, RequestKey>, std::uint64_t> first_position;
  std::vector<Violation> out;
  for (const auto& c : r.commits) {
    if (!scope.honest(c.node) || !c.batch) continue;
    std::size_t next_skipped = 0;
    for (std::uint32_t i = 0; i < c.batch->size(); ++i) {
      // Requests the state machine did not execute (already executed) are not a second commit.
      if (next_skipped < c.skipped.size() && c.skipped[next_skipped] == i) {
        ++next_skipped;
        continue;
      }
      const sim::RecordedRequest& req = (*c.batch)[i];
      RequestKey key{req.client.value, req.id.value};
      auto [it, fresh] = first_position.emplace(std::make_pair(c.node, key), c.position.value);
      if (fresh || it->second == c.position.value) continue;
      out.push_back({"integrity",
                     "replica " + std::to_string(c.node.value) + " committed request (client " +
                         std::to_string(key.first) + ", id " + std::to_string(key.second) +
                         ") twice, at positions " + std::to_string(it->second) + " and " +
                         std::to_string(c.position.value),
                     c.position.value,
                     {c.node},
                     c.time});
      it->second = c.position.value;  // report each further duplicate once
    }
  }
  return out;
}

std::vector<Violation> check_kv_linearizability(const sim::RunRecord& r) {
  KvHistory history;
  history.reserve(r.operations.size());
  for (const auto& op : r.operations)
    history.push_back({op.client, op.submitted, op.completed, op.operation, op.result});
  auto report = analysis::check_kv_linearizability(history);
  if (report.verdict != Verdict::not_linearizable || !report.violation) return {};
  const auto& v = *report.violation;
  Time when{};
  for (auto i : v.operations)
    when = std::max(when, history[i].complete.value_or(history[i].invoke));
  return {{"linearizability",
           "the client history of key " + v.key + " is not linearizable: " + v.explanation,
           std::nullopt,
           {},
           when}};
}

std::vector<Violation> check_safety(const sim::RunRecord& r, const CheckScope& scope) {
  std::vector<Violation> all = check_agreement(r, scope);
  for (auto& v : check_validity(r, scope)) all.push_back(std::move(v));
  for (auto& v : check_integrity(r, scope)) all.push_back(std::move(v));
  return all;
}

std::vector<Violation> check_liveness(const sim::RunRecord& r, Time from, Duration bound) {
  std::vector<Violation> out;
  std::size_t judged = 0;
  for (const auto& op : r.operations) {
    if (op.completed && *op.completed < from) continue;  // finished before the window
    Time start = std::max(op.submitted, from);
    Time deadline = start + bound;
    if (deadline > r.end) continue;  // cannot be judged within this run
    ++judged;
    if (op.completed && *op.completed <= deadline) continue;
    std::string when = op.completed ? "completed only after " + time_text(*op.completed - start)
                                    : "never completed";
    out.push_back({"liveness",
                   "request (client " + std::to_string(op.client.value) + ", id " +
                       std::to_string(op.request.value) + ") submitted at " +
                       time_text(op.submitted - Time{}) + " " + when + " (bound " +
                       to_string(bound) + " from " + time_text(start - Time{}) + ")",
                   std::nullopt,
                   {},
                   deadline});
  }
  if (judged == 0)
    out.push_back({"liveness_not_shown",
                   "no request was pending or submitted between " + time_text(from - Time{}) +
                       " and " + time_text((r.end - bound) - Time{}) + ", so progress within " +
                       to_string(bound) + " was not shown",
                   std::nullopt,
                   {},
                   r.end});
  return out;
}

Duration percentile(const std::vector<Duration>& sorted, double q) {
  std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

RunMetrics compute_metrics(const sim::RunRecord& r, const CheckScope& scope) {
  RunMetrics m;
  std::set<RequestKey> committed;
  for (const auto& c : r.commits) {
    if (!scope.honest(c.node)) continue;
    m.positions_committed = std::max(m.positions_committed, c.position.value);
    if (c.batch)
      for (const sim::RecordedRequest& req : *c.batch)
        committed.insert({req.client.value, req.id.value});
  }
  m.commands_committed = committed.size();
  std::vector<Duration> latencies;
  for (const auto& op : r.operations) {
    ++m.operations_submitted;
    if (op.completed) latencies.push_back(*op.completed - op.submitted);
  }
  m.operations_completed = latencies.size();
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    m.latency_p50 = percentile(latencies, 0.50);
    m.latency_p99 = percentile(latencies, 0.99);
  }
  for (const auto& [node, changes] : r.view_changes)
    if (scope.honest(node)) m.max_view_changes = std::max(m.max_view_changes, changes);
  for (const auto& e : r.evidence)
    if (scope.honest(e.reporter)) m.flagged.insert(e.culprit);
  return m;
}

std::string describe(const Violation& v) {
  std::string s = v.check + ": " + v.message;
  if (!v.nodes.empty() && v.message.find(" by [") == std::string::npos)
    s += " (nodes " + node_list(v.nodes) + ")";
  // Where to look in the trace: the event at this time shows the violation.
  if (v.check != "liveness" && v.check != "liveness_not_shown")
    s += "; see the trace at time_ns " + std::to_string(v.time.ns);
  return s;
}

}  // namespace knhk::analysis
