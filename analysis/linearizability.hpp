// Linearizability of a key-value client history (issue 6).
//
// The search is Wing & Gong's, in Lowe's form ("Testing for linearizability", 2017) as
// Porcupine and Knossos use it: walk the history's call/return events in time order,
// tentatively linearize an operation at its call, backtrack at a return whose operation
// is not yet linearized; memoize every (set of linearized operations, model state) seen so
// an equivalent configuration is never explored twice. Operations on different keys
// are independent (P-compositionality, Horn & Kroening 2015), so the history is
// split per key and each key is checked on its own.
//
// Pending operations (no completion time) may or may not have taken effect: they are
// optional and may be linearized anywhere after their invocation. An operation the
// application rejected (error result, malformed operation) changed nothing and is
// ignored. Two events at the same instant are treated as concurrent.
//
// A violation is explained by a small set of operations of one key whose observed
// results cannot all hold: first the shortest window of the history (the last 8, 32, 128,
// ... operations before the failure) that is non-linearizable from an unknown starting
// value, then every other operation relaxed (its result forgotten and made optional, which
// can only add linearizations) while the window stays non-linearizable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocols/common/types.hpp"

namespace knhk::analysis {

// One client operation as the client saw it.
struct KvHistoryOp {
  ClientId client;
  Time invoke;
  std::optional<Time> complete;  // nullopt: no reply yet (pending)
  Bytes operation;               // smr::kv operation bytes
  Bytes result;                  // smr::kv result bytes; ignored while pending
};
using KvHistory = std::vector<KvHistoryOp>;

enum class Verdict { linearizable, not_linearizable, unknown };
const char* to_string(Verdict v);

struct LinearizabilityViolation {
  std::string key;  // e.g. "#7"
  // Indices into the history of the operations whose results cannot all hold, sorted.
  std::vector<std::size_t> operations;
  // Writes (indices) left optional by the explanation whose values those operations
  // mention: they may or may not have taken effect, but their intervals matter.
  std::vector<std::size_t> related_writes;
  // True when the operations fail whatever the key held before the first of them (the
  // explanation is a window of the history); false when it starts from the empty key.
  bool from_unknown_state = false;
  std::string explanation;  // one line per operation, for people
};

struct LinearizabilityOptions {
  // Search steps allowed per key before giving up with Verdict::unknown (deterministic:
  // a count, not a clock).
  std::uint64_t max_steps_per_key = 20'000'000;
  // Shrink a violation to a small explanation (costs a number of re-checks of that key).
  bool minimize = true;
  // Size of the first window tried by the explanation (then 4x, 16x, ...).
  std::size_t first_window_ops = 8;
};

struct LinearizabilityReport {
  Verdict verdict = Verdict::linearizable;
  std::optional<LinearizabilityViolation> violation;  // when not_linearizable
  std::string unknown_key;  // when unknown: the key whose search ran out of steps
  std::size_t keys = 0;     // partitions checked
  std::size_t ignored = 0;  // operations with no effect and no observation
  std::uint64_t steps = 0;  // search steps over all keys
};

LinearizabilityReport check_kv_linearizability(const KvHistory& history,
                                               const LinearizabilityOptions& options = {});

}  // namespace knhk::analysis
