#include "analysis/linearizability.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_set>

#include "analysis/kv_model.hpp"

namespace knhk::analysis {
namespace {

constexpr std::int64_t kInfinity = std::numeric_limits<std::int64_t>::max();

// One operation of a key's sub-history, as the search sees it.
struct PartitionOp {
  std::size_t index = 0;  // into the whole history
  std::int64_t invoke = 0;
  std::int64_t complete = kInfinity;  // kInfinity while pending
  KvStep step;
  bool optional() const { return !step.known; }
};

struct Partition {
  std::string key_name;
  std::vector<PartitionOp> ops;
};

enum class Outcome { linearizable, violation, exhausted };

struct SearchResult {
  Outcome outcome = Outcome::linearizable;
  std::uint64_t steps = 0;
  // The latest return at which the search had to backtrack: no op invoked after it was
  // ever part of a failing partial linearization.
  std::int64_t latest_failure = std::numeric_limits<std::int64_t>::min();
};

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A visited configuration: which ops are linearized (as a 128-bit Zobrist fingerprint of
// the set, as TLC-style model checkers store states) and the register's value. Keeping the
// fingerprint instead of the bitset makes a configuration 24 bytes instead of n/8; two
// different sets collide with probability about 2^-128 per pair.
struct Config {
  std::uint64_t h1, h2;
  ValueId state;
  bool operator==(const Config& o) const { return h1 == o.h1 && h2 == o.h2 && state == o.state; }
};
struct ConfigHash {
  std::size_t operator()(const Config& c) const {
    return static_cast<std::size_t>(c.h1 ^ mix64(static_cast<std::uint64_t>(c.state)));
  }
};

bool pure_observation(const PartitionOp& op);

// Lowe's WGL with memoization over one key. Events live in a doubly linked list (node 0
// is the head; op i has call node 2i+1 and return node 2i+2); linearizing an op lifts
// both of its nodes out, backtracking puts them back (dancing links).
class WglSearch {
 public:
  WglSearch(const std::vector<PartitionOp>& ops, ValueId initial) : ops_(ops), state_(initial) {
    build_list();
  }

  SearchResult run(std::uint64_t max_steps);

 private:
  struct Frame {
    std::size_t op;
    ValueId prev_state;
    bool as_noop;  // an optional op linearized without effect (it never happened)
  };

  void build_list();
  void lift(std::size_t op);
  void unlift(std::size_t op);
  bool try_linearize(std::size_t op, ValueId next_state, bool as_noop);
  bool backtrack(std::size_t& entry, SearchResult& result);
  std::size_t call_node(std::size_t op) const { return 2 * op + 1; }
  bool is_call(std::size_t node) const { return node % 2 == 1; }
  std::size_t op_of(std::size_t node) const { return (node - 1) / 2; }

  const std::vector<PartitionOp>& ops_;
  std::vector<std::size_t> next_, prev_;
  std::vector<std::uint64_t> zobrist1_, zobrist2_;
  std::uint64_t set_hash1_ = 0, set_hash2_ = 0;
  ValueId state_;
  std::vector<Frame> stack_;
  std::unordered_set<Config, ConfigHash> visited_;
  std::size_t required_left_ = 0;
};

void WglSearch::build_list() {
  const std::size_t n = ops_.size();
  struct Event {
    std::int64_t time;
    int is_return;  // calls sort before returns at the same instant: concurrent
    std::size_t node;
  };
  std::vector<Event> events;
  events.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    events.push_back({ops_[i].invoke, 0, 2 * i + 1});
    events.push_back({ops_[i].complete, 1, 2 * i + 2});
    if (!ops_[i].optional()) ++required_left_;
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.time, a.is_return, a.node) < std::tie(b.time, b.is_return, b.node);
  });
  const std::size_t end = 2 * n + 1;  // one past the last node: the list's end marker
  next_.assign(end + 1, end);
  prev_.assign(end + 1, 0);
  std::size_t last = 0;
  for (const auto& e : events) {
    next_[last] = e.node;
    prev_[e.node] = last;
    last = e.node;
  }
  next_[last] = end;
  prev_[end] = last;
  zobrist1_.resize(n);
  zobrist2_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    zobrist1_[i] = mix64(2 * i);
    zobrist2_[i] = mix64(mix64(2 * i + 1));
  }
}

void WglSearch::lift(std::size_t op) {
  for (std::size_t node : {call_node(op), call_node(op) + 1}) {
    next_[prev_[node]] = next_[node];
    prev_[next_[node]] = prev_[node];
  }
}

void WglSearch::unlift(std::size_t op) {
  for (std::size_t node : {call_node(op) + 1, call_node(op)}) {
    next_[prev_[node]] = node;
    prev_[next_[node]] = node;
  }
}

// Linearizes `op` now unless this configuration was already explored.
bool WglSearch::try_linearize(std::size_t op, ValueId next_state, bool as_noop) {
  std::uint64_t h1 = set_hash1_ ^ zobrist1_[op], h2 = set_hash2_ ^ zobrist2_[op];
  if (!visited_.insert(Config{h1, h2, next_state}).second) return false;
  set_hash1_ = h1;
  set_hash2_ = h2;
  stack_.push_back({op, state_, as_noop});
  state_ = next_state;
  lift(op);
  if (!ops_[op].optional()) --required_left_;
  return true;
}

// A required op that never changes the register (a read, a failed cas, a cas of a value
// onto itself). If it is enabled at a call entry, linearizing it right there is never
// worse than later: it leaves the state alone, and every op that returned before its
// invocation is already linearized (else the scan would have stopped at that return).
// So its frame is final: backtracking over it need not try other ops in its place.
// Not so from the unknown state kAny, which a read narrows down: there order matters.
bool pure_observation(const PartitionOp& op) {
  const auto& s = op.step;
  if (op.optional()) return false;
  return s.kind == KvStep::Kind::get ||
         (s.kind == KvStep::Kind::cas && (!s.cas_succeeded || s.expected == s.value));
}

// Pops frames until one leaves an alternative; false when none is left (a violation).
bool WglSearch::backtrack(std::size_t& entry, SearchResult& result) {
  while (!stack_.empty()) {
    ++result.steps;
    Frame top = stack_.back();
    stack_.pop_back();
    set_hash1_ ^= zobrist1_[top.op];
    set_hash2_ ^= zobrist2_[top.op];
    state_ = top.prev_state;
    unlift(top.op);
    if (!ops_[top.op].optional()) ++required_left_;
    if (pure_observation(ops_[top.op]) && top.prev_state != kAny) continue;
    // The second alternative of an optional op: it never took effect.
    if (!top.as_noop && ops_[top.op].optional() && try_linearize(top.op, state_, true)) {
      entry = next_[0];
      return true;
    }
    entry = next_[call_node(top.op)];
    return true;
  }
  return false;
}

SearchResult WglSearch::run(std::uint64_t max_steps) {
  SearchResult result;
  std::size_t entry = next_[0];
  while (required_left_ > 0) {
    if (++result.steps > max_steps) {
      result.outcome = Outcome::exhausted;
      return result;
    }
    bool must_backtrack = !is_call(entry);
    if (is_call(entry)) {
      auto op = op_of(entry);
      auto next_state = ops_[op].step.apply(state_);
      if (next_state && try_linearize(op, *next_state, false)) {
        entry = next_[0];
      } else if (next_state && pure_observation(ops_[op]) && state_ != kAny) {
        must_backtrack = true;  // (S + op, state) already failed, so (S, state) fails too
      } else if (ops_[op].optional() && try_linearize(op, state_, true)) {
        entry = next_[0];
      } else {
        entry = next_[entry];
      }
    }
    if (!must_backtrack) continue;
    if (!is_call(entry))
      result.latest_failure = std::max(result.latest_failure, ops_[op_of(entry)].complete);
    if (!backtrack(entry, result)) {
      result.outcome = Outcome::violation;
      return result;
    }
  }
  return result;
}

SearchResult search(const std::vector<PartitionOp>& ops, std::uint64_t max_steps,
                    ValueId initial = kAbsent) {
  return WglSearch(ops, initial).run(max_steps);
}

void relax(PartitionOp& op) {
  op.step.known = false;
  op.step.impossible = false;
}

}  // namespace

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::linearizable:
      return "linearizable";
    case Verdict::not_linearizable:
      return "not linearizable";
    case Verdict::unknown:
      return "unknown";
  }
  return "?";
}

namespace {

// Search steps the explanation may spend in all its re-checks; a check that runs out
// counts as "not shown", so the explanation stays sound but may be less small.
struct StepBudget {
  std::uint64_t left;
  bool violates(const std::vector<PartitionOp>& ops, ValueId initial) {
    if (left == 0) return false;
    auto r = search(ops, left, initial);
    left -= std::min(left, r.steps);
    return r.outcome == Outcome::violation;
  }
};

// A window of a key's history around the failure: the `count` ops invoked by `until` that
// complete last keep their results; ops overlapping them in time are kept relaxed; all
// others are dropped. Ops entirely after the kept ones cannot be ordered before them, and
// ops entirely before them only decide the starting value, which the search leaves
// unknown (kAny) when any was dropped. So a failing window is a genuine violation.
struct Window {
  std::vector<PartitionOp> ops;
  ValueId initial = kAbsent;
};
Window window_around(const std::vector<PartitionOp>& all, std::int64_t until, std::size_t count) {
  std::vector<std::int64_t> completes;
  for (const auto& op : all)
    if (op.invoke <= until) completes.push_back(op.complete);
  std::sort(completes.begin(), completes.end(), std::greater<>());
  std::int64_t start = completes[std::min(count, completes.size()) - 1];
  std::int64_t lo = kInfinity, hi = until;
  for (const auto& op : all)
    if (op.invoke <= until && op.complete >= start) {
      lo = std::min(lo, op.invoke);
      if (!op.optional()) hi = std::max(hi, op.complete);
    }
  Window w;
  for (auto op : all) {
    bool kept = op.invoke <= until && op.complete >= start;
    if (!kept && op.complete >= lo && op.invoke <= hi) {
      relax(op);
      kept = true;
    }
    if (kept)
      w.ops.push_back(op);
    else if (op.complete < lo)
      w.initial = kAny;
  }
  return w;
}

// Relaxes chunks of ops (halving the chunk size, as delta debugging does) while the
// history stays non-linearizable; what keeps its result at the end explains the violation.
// Relaxed reads observe nothing and change nothing, so they are dropped outright.
std::vector<PartitionOp> relax_while_violating(std::vector<PartitionOp> ops, ValueId initial,
                                               StepBudget& budget) {
  for (std::size_t chunk = (ops.size() + 1) / 2; chunk >= 1 && budget.left > 0; chunk /= 2) {
    std::size_t start = 0;
    while (start < ops.size()) {
      auto trial = ops;
      bool changed = false;
      for (std::size_t i = start; i < std::min(ops.size(), start + chunk); ++i)
        if (!trial[i].optional()) {
          relax(trial[i]);
          changed = true;
        }
      std::erase_if(trial, [](const PartitionOp& op) {
        return op.optional() && op.step.kind == KvStep::Kind::get;
      });
      if (changed && budget.violates(trial, initial)) {
        bool shrank = trial.size() < ops.size();
        ops = std::move(trial);
        if (shrank) continue;  // later ops moved down to `start`
      }
      start += chunk;
    }
    if (chunk == 1) break;
  }
  return ops;
}

std::string format_time(std::int64_t ns) {
  if (ns == kInfinity) return "pending";
  return to_string(Duration{ns});
}

std::vector<std::size_t> related_writes(const std::vector<PartitionOp>& ops) {
  std::vector<ValueId> mentioned;
  for (const auto& op : ops) {
    if (op.optional()) continue;
    if (op.step.kind == KvStep::Kind::get) mentioned.push_back(op.step.observed);
    if (op.step.kind == KvStep::Kind::cas) {
      mentioned.push_back(op.step.expected);
      if (!op.step.cas_succeeded) mentioned.push_back(op.step.observed);
    }
  }
  std::vector<std::size_t> out;
  for (const auto& op : ops) {
    bool writes = op.step.kind == KvStep::Kind::put || op.step.kind == KvStep::Kind::cas;
    if (op.optional() && writes &&
        std::find(mentioned.begin(), mentioned.end(), op.step.value) != mentioned.end())
      out.push_back(op.index);
  }
  return out;
}

std::string explain(const KvHistory& history, const LinearizabilityViolation& v) {
  std::string text = "key " + v.key +
                     ": no order of these operations is consistent with both real time and "
                     "their results" +
                     (v.from_unknown_state ? " (whatever the key held before them)" : "") + ":\n";
  auto line = [&](std::size_t i, const char* note) {
    const auto& op = history[i];
    text += "  [" + std::to_string(i) + "] client " + std::to_string(op.client.value) + " " +
            format_time(op.invoke.ns) + ".." +
            format_time(op.complete ? op.complete->ns : kInfinity) + "  " +
            describe_kv_op(op.operation, op.complete.has_value(), op.result) + note + "\n";
  };
  for (auto i : v.operations) line(i, "");
  for (auto i : v.related_writes) line(i, "  (may or may not have taken effect)");
  return text;
}

LinearizabilityViolation explain_violation(const KvHistory& history, const Partition& part,
                                           const SearchResult& found,
                                           const LinearizabilityOptions& options) {
  std::vector<PartitionOp> ops = part.ops;
  ValueId initial = kAbsent;
  LinearizabilityViolation v;
  if (options.minimize) {
    StepBudget budget{2 * options.max_steps_per_key};
    // The smallest window (growing 4x) around the failure that fails on its own.
    for (std::size_t count = std::max<std::size_t>(1, options.first_window_ops); count < ops.size();
         count *= 4) {
      auto window = window_around(part.ops, found.latest_failure, count);
      if (window.ops.size() < ops.size() && budget.violates(window.ops, window.initial)) {
        ops = std::move(window.ops);
        initial = window.initial;
        break;
      }
    }
    ops = relax_while_violating(std::move(ops), initial, budget);
  }
  v.key = part.key_name;
  v.from_unknown_state = initial == kAny;
  for (const auto& op : ops)
    if (!op.optional()) v.operations.push_back(op.index);
  v.related_writes = related_writes(ops);
  std::sort(v.operations.begin(), v.operations.end());
  v.explanation = explain(history, v);
  return v;
}

// Values that no op of the key ever observes or expects cannot be told apart by any later
// op, so they are merged into one (kUnobserved): orders of such "blind" writes then reach
// the same model state and the memo prunes the permutations.
void merge_unobserved_values(std::vector<PartitionOp>& ops) {
  std::vector<ValueId> mentioned;
  for (const auto& op : ops) {
    if (op.step.kind == KvStep::Kind::cas) mentioned.push_back(op.step.expected);
    if (op.step.known) mentioned.push_back(op.step.observed);
  }
  std::sort(mentioned.begin(), mentioned.end());
  for (auto& op : ops) {
    bool writes = op.step.kind == KvStep::Kind::put || op.step.kind == KvStep::Kind::cas;
    if (writes && !std::binary_search(mentioned.begin(), mentioned.end(), op.step.value))
      op.step.value = kUnobserved;
  }
}

// Splits the history per key; drops ops that neither change nor observe anything.
std::map<Bytes, Partition, BytesOrder> partition_by_key(const KvHistory& history,
                                                        std::size_t& ignored) {
  std::map<Bytes, Partition, BytesOrder> parts;
  ValueTable values;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const auto& h = history[i];
    auto decoded = decode_kv_op(h.operation, h.complete.has_value(), h.result, values);
    bool inert = decoded && (decoded->step.kind == KvStep::Kind::no_effect ||
                             (decoded->step.kind == KvStep::Kind::get && !decoded->step.known));
    if (!decoded || inert) {
      ++ignored;
      continue;
    }
    auto& part = parts[decoded->key];
    part.key_name = decoded->key_name;
    part.ops.push_back(
        PartitionOp{i, h.invoke.ns, h.complete ? h.complete->ns : kInfinity, decoded->step});
  }
  for (auto& [key, part] : parts) merge_unobserved_values(part.ops);
  return parts;
}

}  // namespace

LinearizabilityReport check_kv_linearizability(const KvHistory& history,
                                               const LinearizabilityOptions& options) {
  LinearizabilityReport report;
  auto parts = partition_by_key(history, report.ignored);
  report.keys = parts.size();
  for (const auto& [key, part] : parts) {
    auto found = search(part.ops, options.max_steps_per_key);
    report.steps += found.steps;
    if (found.outcome == Outcome::exhausted) {
      if (report.verdict == Verdict::linearizable) report.unknown_key = part.key_name;
      report.verdict = Verdict::unknown;
      continue;
    }
    if (found.outcome == Outcome::violation) {
      report.verdict = Verdict::not_linearizable;
      report.unknown_key.clear();
      report.violation = explain_violation(history, part, found, options);
      return report;
    }
  }
  return report;
}

}  // namespace knhk::analysis
