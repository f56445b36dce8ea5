// The checks every simulated cluster test makes, shared by the PBFT and HotStuff
// cluster tests so that both judge a run by the same analysis/ checkers the fuzzer and
// `knhk run` use (agreement, validity, integrity honouring CommitEffect::skipped, equal
// state hashes), plus completion, absence of Byzantine evidence under benign faults,
// and convergence of the running replicas.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "analysis/checkers.hpp"
#include "sim/simulation.hpp"

namespace knhk::testing {

constexpr Time at_ms(std::int64_t ms) {
  return Time{ms * 1000000};
}

// Benign faults only (crash, partition, loss): every replica is judged honest.
inline void check_safety(const sim::RunRecord& r) {
  for (const auto& v : analysis::check_safety(r, analysis::CheckScope{}))
    FAIL_CHECK(v.check << " at position " << (v.position ? std::to_string(*v.position) : "-")
                       << ": " << v.message);
}

// Every operation a client submitted completed, and each completed one was committed by
// some replica (not merely answered).
inline void check_completion(const sim::RunRecord& r, std::size_t at_least) {
  std::set<std::pair<ClientId, RequestId>> committed;
  for (const auto& c : r.commits)
    for (const auto& req : *c.batch) committed.insert({req.client, req.id});
  std::size_t done = 0;
  for (const auto& op : r.operations) {
    INFO("client " << op.client.value << " request " << op.request.value);
    CHECK(op.completed.has_value());
    if (!op.completed) continue;
    ++done;
    CHECK(committed.count({op.client, op.request}) == 1);
  }
  CHECK(done >= at_least);
}

inline void check_no_evidence(const sim::RunRecord& r) {
  for (const auto& e : r.evidence)
    FAIL_CHECK("evidence against honest node " << e.culprit.value << " by " << e.reporter.value
                                               << ": " << e.detail);
}

inline Seq committed(sim::Simulation& s, NodeId n) {
  return s.status(n)->committed;
}

// All correct, running replicas end at the same log position and state.
inline void check_converged(sim::Simulation& s) {
  std::optional<ReplicaStatus> ref;
  for (std::uint32_t i = 0; i < s.replicas(); ++i) {
    auto st = s.status(NodeId(i));
    if (!st || s.record().is_faulty(NodeId(i))) continue;
    if (!ref) {
      ref = st;
      continue;
    }
    INFO("node " << i);
    CHECK(st->committed == ref->committed);
    CHECK(st->state_hash == ref->state_hash);
  }
}

// One line per replica (view, committed position) when KNHK_VERBOSE is set: the first
// thing to read when a cluster test fails.
inline void describe(sim::Simulation& s) {
  if (!std::getenv("KNHK_VERBOSE")) return;
  const auto& r = s.record();
  std::string views;
  for (std::uint32_t i = 0; i < s.replicas(); ++i)
    if (auto st = s.status(NodeId(i)))
      views += " n" + std::to_string(i) + ":v" + std::to_string(st->view.value) + "/c" +
               std::to_string(st->committed.value);
  WARN("ops " << r.operations.size() << " completed " << r.completed_operations() << " commits "
              << r.commits.size() << views);
}

inline void check_all(sim::Simulation& s, std::size_t at_least) {
  describe(s);
  const auto& r = s.record();
  check_safety(r);
  check_completion(r, at_least);
  check_no_evidence(r);
  check_converged(s);
}

}  // namespace knhk::testing
