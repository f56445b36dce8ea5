#include "analysis/kv_model.hpp"

#include <algorithm>

namespace knhk::analysis {
namespace {

// Printable values are shown quoted ("v12"); others as a hex prefix.
std::string hex_prefix(const Bytes& v) {
  bool printable = !v.empty() && v.size() <= 24 &&
                   std::all_of(v.begin(), v.end(),
                               [](std::uint8_t c) { return c >= 0x20 && c < 0x7f && c != '"'; });
  if (printable) {
    // Appended, not "\"" + std::string(...): GCC 12 flags that operator+ with a false
    // -Wrestrict in the Release build.
    std::string quoted(1, '"');
    quoted.append(v.begin(), v.end());
    quoted.push_back('"');
    return quoted;
  }
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < 8; ++i) {
    out += digits[v[i] >> 4];
    out += digits[v[i] & 0xf];
  }
  if (v.size() > 8) out += "..";
  return out.empty() ? "\"\"" : out;
}

std::string describe_value(const std::optional<Bytes>& v) {
  return v ? hex_prefix(*v) : std::string("absent");
}

// Fills in the observed outcome of a completed op; marks it impossible if the result
// does not decode or is not a result this kind of op can return.
void observe(KvStep& step, const smr::kv::Op& op, const Bytes& result, ValueTable& values) {
  using smr::kv::Status;
  auto r = smr::kv::decode_result(result);
  step.known = true;
  if (!r) {
    step.impossible = true;
    return;
  }
  if (r->status == Status::error) {  // rejected by the app: no effect, observes nothing
    step.kind = KvStep::Kind::no_effect;
    return;
  }
  switch (op.kind) {
    case smr::kv::OpKind::put:
      step.impossible = r->status != Status::ok;
      break;
    case smr::kv::OpKind::get:
      if (r->status == Status::value)
        step.observed = values.intern(r->value.value_or(Bytes{}));
      else if (r->status == Status::not_found)
        step.observed = kAbsent;
      else
        step.impossible = true;
      break;
    case smr::kv::OpKind::cas:
      step.cas_succeeded = r->status == Status::ok;
      if (r->status == Status::cas_failed)
        step.observed = r->value ? values.intern(*r->value) : kAbsent;
      else if (r->status != Status::ok)
        step.impossible = true;
      break;
  }
}

}  // namespace

std::optional<ValueId> KvStep::apply(ValueId state) const {
  if (impossible) return std::nullopt;
  if (state == kAny) return apply_to_unknown();
  switch (kind) {
    case Kind::no_effect:
      return state;
    case Kind::put:
      return value;
    case Kind::get:
      if (known && observed != state) return std::nullopt;
      return state;
    case Kind::cas:
      if (!known) return state == expected ? value : state;
      if (cas_succeeded) {
        if (state != expected) return std::nullopt;
        return value;
      }
      if (state == expected || state != observed) return std::nullopt;
      return state;
  }
  return std::nullopt;
}

std::optional<ValueId> KvStep::apply_to_unknown() const {
  switch (kind) {
    case Kind::no_effect:
      return kAny;
    case Kind::put:
      return value;
    case Kind::get:
      return known ? observed : kAny;
    case Kind::cas:
      if (!known) return kAny;  // it may or may not have matched
      if (cas_succeeded) return value;
      if (observed == expected) return std::nullopt;
      return observed;
  }
  return std::nullopt;
}

ValueId ValueTable::intern(const Bytes& v) {
  auto [it, inserted] = ids_.emplace(v, static_cast<ValueId>(values_.size()));
  if (inserted) values_.push_back(v);
  return it->second;
}

std::string ValueTable::describe(ValueId id) const {
  if (id == kAbsent) return "absent";
  return hex_prefix(value(id));
}

std::optional<DecodedKvOp> decode_kv_op(const Bytes& operation, bool completed, const Bytes& result,
                                        ValueTable& values) {
  auto op = smr::kv::decode_op(operation);
  if (!op) return std::nullopt;
  DecodedKvOp out;
  out.key = smr::kv::encode_key(op->key);
  out.key_name = smr::kv::to_string(op->key);
  auto& step = out.step;
  switch (op->kind) {
    case smr::kv::OpKind::put:
      step.kind = KvStep::Kind::put;
      step.value = values.intern(op->value);
      break;
    case smr::kv::OpKind::get:
      step.kind = KvStep::Kind::get;
      break;
    case smr::kv::OpKind::cas:
      step.kind = KvStep::Kind::cas;
      step.value = values.intern(op->value);
      step.expected = op->expected ? values.intern(*op->expected) : kAbsent;
      break;
  }
  if (completed) observe(step, *op, result, values);
  return out;
}

std::string describe_kv_op(const Bytes& operation, bool completed, const Bytes& result) {
  auto op = smr::kv::decode_op(operation);
  if (!op) return "malformed operation";
  auto key = smr::kv::to_string(op->key);
  std::string text;
  switch (op->kind) {
    case smr::kv::OpKind::put:
      text = "put(" + key + ", " + hex_prefix(op->value) + ")";
      break;
    case smr::kv::OpKind::get:
      text = "get(" + key + ")";
      break;
    case smr::kv::OpKind::cas:
      text =
          "cas(" + key + ", " + describe_value(op->expected) + " -> " + hex_prefix(op->value) + ")";
      break;
  }
  if (!completed) return text + " -> pending";
  auto r = smr::kv::decode_result(result);
  if (!r) return text + " -> malformed result";
  using smr::kv::Status;
  switch (r->status) {
    case Status::ok:
      return text + " -> ok";
    case Status::value:
      return text + " -> " + hex_prefix(r->value.value_or(Bytes{}));
    case Status::not_found:
      return text + " -> not found";
    case Status::cas_failed:
      return text + " -> cas failed (saw " + describe_value(r->value) + ")";
    case Status::error:
      return text + " -> error: " + r->error;
  }
  return text;
}

}  // namespace knhk::analysis
