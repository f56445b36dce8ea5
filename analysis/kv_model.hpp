// The sequential specification of one key of the kv application (protocols/smr/kv.hpp),
// as the linearizability checker needs it: operations decoded once, values interned to
// small integers so that a model state is one int and comparing states is free.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocols/common/types.hpp"
#include "protocols/smr/kv.hpp"

namespace knhk::analysis {

// A register value id: kAbsent for "key not present", otherwise an index into the
// partition's value table.
using ValueId = std::int32_t;
inline constexpr ValueId kAbsent = -1;
// "Not known yet": the state of a window of history cut out of a longer one. The first
// observation decides it; ops that observe nothing keep it unknown (a permissive reading,
// so a window found non-linearizable is non-linearizable whatever came before it).
inline constexpr ValueId kAny = -2;
// Stands for every value that no op of the partition observes (they are interchangeable).
inline constexpr ValueId kUnobserved = -3;

// What one history operation does to its key, with its observed outcome.
struct KvStep {
  enum class Kind : std::uint8_t { put, get, cas, no_effect };
  Kind kind = Kind::no_effect;
  ValueId value = kAbsent;     // put/cas: the value written
  ValueId expected = kAbsent;  // cas: the value expected (kAbsent: expect absent)
  // The observed outcome. `known` is false for pending operations (and for ones the
  // minimizer relaxed): then the op does whatever the spec says, observing nothing.
  bool known = false;
  bool impossible = false;  // the result cannot come from this op in any state
  bool cas_succeeded = false;
  ValueId observed = kAbsent;  // get: value read; failed cas: current value reported

  // The state after applying the step to `state`, or nullopt if the observed outcome
  // is inconsistent with `state`.
  std::optional<ValueId> apply(ValueId state) const;

 private:
  std::optional<ValueId> apply_to_unknown() const;
};

// std::less<Bytes>'s order (bytewise; a prefix first), spelled with an explicit memcmp
// bound: through std::less, GCC 12 sees an unbounded memcmp and warns in the Release build
// (-Wstringop-overread, a false positive). For the checker's maps keyed by bytes.
struct BytesOrder {
  bool operator()(const Bytes& a, const Bytes& b) const {
    const std::size_t common = std::min(a.size(), b.size());
    const int order = common == 0 ? 0 : std::memcmp(a.data(), b.data(), common);
    return order != 0 ? order < 0 : a.size() < b.size();
  }
};

// Interns values per partition so a state is an int.
class ValueTable {
 public:
  ValueId intern(const Bytes& v);
  const Bytes& value(ValueId id) const { return values_.at(static_cast<std::size_t>(id)); }
  std::string describe(ValueId id) const;  // "absent" or a short hex string

 private:
  std::map<Bytes, ValueId, BytesOrder> ids_;
  std::vector<Bytes> values_;
};

// A decoded kv operation: its key (canonical bytes) and the step for the model.
struct DecodedKvOp {
  Bytes key;
  std::string key_name;
  KvStep step;
};

// nullopt when the operation bytes are not a kv operation (the app answered it with an
// error and it changed nothing). `result` is ignored when `completed` is false.
std::optional<DecodedKvOp> decode_kv_op(const Bytes& operation, bool completed, const Bytes& result,
                                        ValueTable& values);

// "put(#3, 0a1b..) -> ok", for violation reports.
std::string describe_kv_op(const Bytes& operation, bool completed, const Bytes& result);

}  // namespace knhk::analysis
