// Checkers over a simulation's RunRecord: safety (agreement, validity, integrity, equal
// state hashes), liveness within a bound, and the scenario's quantitative expectations.
// Each violation names the first offending position (or request) and the nodes involved,
// so a failing run tells the reader where to look in the trace.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocols/common/types.hpp"
#include "sim/record.hpp"

namespace knhk::analysis {

struct Violation {
  std::string check;  // "agreement", "validity", "integrity", "state_hash", "liveness", ...
  std::string message;
  std::optional<std::uint64_t> position;  // log position, when the check is about one
  std::vector<NodeId> nodes;              // replicas involved, sorted
  Time time;                              // when it became visible
};

// Which replicas the checks trust: every replica except the Byzantine ones. Crashed
// replicas stay honest (what they committed before crashing must agree).
struct CheckScope {
  std::set<NodeId> byzantine;
  bool honest(NodeId n) const { return byzantine.count(n) == 0; }
};

// Agreement: no two honest replicas commit different batches at one position (nor one
// replica two different batches at one position, e.g. across a restart). State hashes:
// equal after equal positions. Violations are sorted by position; first = earliest.
std::vector<Violation> check_agreement(const sim::RunRecord& r, const CheckScope& scope);
// Validity: every committed request was submitted by a client (same client, id and
// operation). Integrity: no request commits at two positions of one honest log.
std::vector<Violation> check_validity(const sim::RunRecord& r, const CheckScope& scope);
std::vector<Violation> check_integrity(const sim::RunRecord& r, const CheckScope& scope);
// Linearizability of the key-value history the clients observed (analysis/linearizability):
// one violation naming the key and the operations whose results cannot all hold. A search
// that runs out of steps is not a violation (it is reported by the caller as unknown).
std::vector<Violation> check_kv_linearizability(const sim::RunRecord& r);
// All of the above except linearizability, agreement first.
std::vector<Violation> check_safety(const sim::RunRecord& r, const CheckScope& scope);

// Every request pending at `from` or submitted later must complete within `bound` of
// max(submitted, from). Requests whose deadline falls after the end are not judged; if no
// request can be judged at all, that is itself reported (liveness was not shown).
std::vector<Violation> check_liveness(const sim::RunRecord& r, Time from, Duration bound);

struct RunMetrics {
  std::uint64_t commands_committed = 0;   // distinct requests committed by an honest replica
  std::uint64_t positions_committed = 0;  // highest log position an honest replica reached
  std::uint64_t operations_submitted = 0;
  std::uint64_t operations_completed = 0;
  std::optional<Duration> latency_p50;  // client-observed, completed operations only
  std::optional<Duration> latency_p99;
  std::uint64_t max_view_changes = 0;  // over honest replicas
  std::set<NodeId> flagged;            // culprits of evidence reported by honest replicas
};
RunMetrics compute_metrics(const sim::RunRecord& r, const CheckScope& scope);

// Nearest-rank percentile (q in [0, 1]) of a non-empty sorted sample.
Duration percentile(const std::vector<Duration>& sorted, double q);

std::string describe(const Violation& v);

}  // namespace knhk::analysis
