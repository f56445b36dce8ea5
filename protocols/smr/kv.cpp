#include "protocols/smr/kv.hpp"

#include <map>
#include <string_view>

#include "protocols/common/codec.hpp"
#include "protocols/smr/hash_input.hpp"
#include "protocols/smr/state_machine.hpp"

namespace knhk::smr::kv {
namespace {

constexpr std::uint8_t kIndexKey = 0;
constexpr std::uint8_t kNamedKey = 1;
constexpr std::uint8_t kSnapshotTag = 0x4b;  // 'K'

void put_key(Writer& w, const Key& k) {
  if (auto* i = std::get_if<std::uint32_t>(&k.id)) {
    w.u8(kIndexKey);
    w.u32(*i);
  } else {
    w.u8(kNamedKey);
    w.string(std::get<std::string>(k.id));
  }
}

Key get_key(Reader& r) {
  auto kind = r.u8();
  if (kind == kIndexKey) return Key::index(r.u32());
  if (kind != kNamedKey) throw DecodeError("bad key kind");
  auto name = r.string(kMaxNameBytes);
  if (name.empty()) throw DecodeError("empty key name");
  return Key::named(std::move(name));
}

void put_optional(Writer& w, const std::optional<Bytes>& v) {
  w.boolean(v.has_value());
  if (v) w.bytes(*v);
}

std::optional<Bytes> get_optional(Reader& r, std::uint32_t max_len) {
  if (!r.boolean()) return std::nullopt;
  return r.bytes(max_len);
}

Bytes error_result(std::string reason) {
  return encode_result(Result{Status::error, std::nullopt, std::move(reason)});
}

Digest store_hash(std::uint32_t key_space, std::size_t entries, const Digest& sum) {
  HashInput h;
  h.raw("knhk.kv.state.v2");
  h.u64(key_space);
  h.u64(entries);
  h.digest(sum);
  return h.finish();
}

// Strict: key space must match, keys strictly increasing and valid, no trailing bytes.
std::map<Key, Bytes> decode_store(Reader& r, std::uint32_t key_space) {
  if (r.u8() != kSnapshotTag) throw DecodeError("bad kv snapshot tag");
  if (r.u32() != key_space) throw DecodeError("kv snapshot for another key space");
  constexpr std::size_t kMinEntryBytes = 1 + 4 + 4;
  auto n = r.length(kMinEntryBytes, kMaxEntries);
  std::map<Key, Bytes> out;
  for (std::uint32_t i = 0; i < n; ++i) {
    auto k = get_key(r);
    if (auto* idx = std::get_if<std::uint32_t>(&k.id); idx && *idx >= key_space)
      throw DecodeError("snapshot key outside key space");
    if (!out.empty() && !(out.rbegin()->first < k)) throw DecodeError("keys not sorted");
    auto v = r.bytes(kMaxValueBytes);
    out.emplace_hint(out.end(), std::move(k), std::move(v));
  }
  return out;
}

Digest sum_of_entries(const std::map<Key, Bytes>& store) {
  Digest sum;
  for (const auto& [k, v] : store) sum = digest_add(sum, entry_digest(k, v));
  return sum;
}

// The store itself: a sorted map, so the snapshot (and thus the state hash) is canonical.
class KvApplication : public Application {
 public:
  explicit KvApplication(std::uint32_t key_space) : key_space_(key_space) {}

  Bytes apply(const Bytes& operation) override {
    auto op = decode_op(operation);
    if (!op) return error_result("malformed operation");
    if (!in_key_space(op->key)) return error_result("key outside key space");
    switch (op->kind) {
      case OpKind::put:
        return put(op->key, std::move(op->value));
      case OpKind::get:
        return get(op->key);
      case OpKind::cas:
        return cas(*op);
    }
    return error_result("unknown operation");
  }

  Bytes snapshot() const override {
    Writer w;
    w.u8(kSnapshotTag);
    w.u32(key_space_);
    w.u32(static_cast<std::uint32_t>(store_.size()));
    for (const auto& [k, v] : store_) {
      put_key(w, k);
      w.bytes(v);
    }
    return w.take();
  }

  bool restore(const Bytes& snapshot) override {
    auto decoded = decode_all(snapshot, [&](Reader& r) { return decode_store(r, key_space_); });
    if (!decoded) return false;
    store_ = std::move(*decoded);
    sum_ = sum_of_entries(store_);
    return true;
  }

  Digest state_hash() const override { return store_hash(key_space_, store_.size(), sum_); }

 private:
  bool in_key_space(const Key& k) const {
    auto* i = std::get_if<std::uint32_t>(&k.id);
    return !i || *i < key_space_;
  }

  Bytes put(const Key& k, Bytes value) {
    auto it = store_.find(k);
    if (it == store_.end() && store_.size() >= kMaxEntries) return error_result("store full");
    if (it != store_.end()) sum_ = digest_sub(sum_, entry_digest(k, it->second));
    sum_ = digest_add(sum_, entry_digest(k, value));
    store_[k] = std::move(value);
    return encode_result(Result{Status::ok, std::nullopt, {}});
  }

  Bytes get(const Key& k) const {
    auto it = store_.find(k);
    if (it == store_.end()) return encode_result(Result{Status::not_found, std::nullopt, {}});
    return encode_result(Result{Status::value, it->second, {}});
  }

  Bytes cas(const Op& op) {
    auto it = store_.find(op.key);
    std::optional<Bytes> current;
    if (it != store_.end()) current = it->second;
    if (current != op.expected) return encode_result(Result{Status::cas_failed, current, {}});
    return put(op.key, op.value);
  }

  std::uint32_t key_space_;
  std::map<Key, Bytes> store_;
  Digest sum_;  // sum of entry_digest over store_
};

}  // namespace

std::string to_string(const Key& k) {
  if (auto* i = std::get_if<std::uint32_t>(&k.id)) {
    std::string out = "#";
    out += std::to_string(*i);
    return out;
  }
  return std::get<std::string>(k.id);
}

Bytes encode_key(const Key& key) {
  Writer w;
  put_key(w, key);
  return w.take();
}

Bytes encode_op(const Op& op) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(op.kind));
  put_key(w, op.key);
  if (op.kind == OpKind::put) w.bytes(op.value);
  if (op.kind == OpKind::cas) {
    put_optional(w, op.expected);
    w.bytes(op.value);
  }
  return w.take();
}

Bytes encode_put(const Key& key, const Bytes& value) {
  return encode_op(Op{OpKind::put, key, std::nullopt, value});
}
Bytes encode_get(const Key& key) {
  return encode_op(Op{OpKind::get, key, std::nullopt, {}});
}
Bytes encode_cas(const Key& key, const std::optional<Bytes>& expected, const Bytes& new_value) {
  return encode_op(Op{OpKind::cas, key, expected, new_value});
}

std::optional<Op> decode_op(std::span<const std::uint8_t> bytes) {
  return decode_all(bytes, [](Reader& r) {
    Op op;
    auto kind = r.u8();
    if (kind < 1 || kind > 3) throw DecodeError("bad kv op");
    op.kind = static_cast<OpKind>(kind);
    op.key = get_key(r);
    if (op.kind == OpKind::put) op.value = r.bytes(kMaxValueBytes);
    if (op.kind == OpKind::cas) {
      op.expected = get_optional(r, kMaxValueBytes);
      op.value = r.bytes(kMaxValueBytes);
    }
    return op;
  });
}

Bytes encode_result(const Result& res) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(res.status));
  if (res.status == Status::value) w.bytes(res.value.value_or(Bytes{}));
  if (res.status == Status::cas_failed) put_optional(w, res.value);
  if (res.status == Status::error) w.string(res.error);
  return w.take();
}

std::optional<Result> decode_result(std::span<const std::uint8_t> bytes) {
  return decode_all(bytes, [](Reader& r) {
    Result res;
    auto status = r.u8();
    if (status > 4) throw DecodeError("bad kv status");
    res.status = static_cast<Status>(status);
    if (res.status == Status::value) res.value = r.bytes(kMaxValueBytes);
    if (res.status == Status::cas_failed) res.value = get_optional(r, kMaxValueBytes);
    if (res.status == Status::error) res.error = r.string();
    return res;
  });
}

std::unique_ptr<Application> make_kv_application(std::uint32_t key_space) {
  return std::make_unique<KvApplication>(key_space);
}

// Laid out as a Writer would: the tag, the key and the value, each length-prefixed.
Digest entry_digest(const Key& key, const Bytes& value) {
  static constexpr std::string_view kTag = "knhk.kv.entry.v1";
  HashInput h;
  h.u32(static_cast<std::uint32_t>(kTag.size()));
  h.raw(kTag);
  if (const auto* i = std::get_if<std::uint32_t>(&key.id)) {
    h.u8(kIndexKey);
    h.u32(*i);
  } else {
    const auto& name = std::get<std::string>(key.id);
    h.u8(kNamedKey);
    h.u32(static_cast<std::uint32_t>(name.size()));
    h.raw(name);
  }
  h.u32(static_cast<std::uint32_t>(value.size()));
  h.raw(value);
  return h.finish();
}

std::optional<Digest> snapshot_state_hash(std::span<const std::uint8_t> snapshot) {
  if (snapshot.size() < 5 || snapshot[0] != kSnapshotTag) return std::nullopt;
  std::uint32_t key_space = 0;
  for (int i = 0; i < 4; ++i) key_space |= std::uint32_t{snapshot[1 + i]} << (8 * i);
  auto store = decode_all(snapshot, [&](Reader& r) { return decode_store(r, key_space); });
  if (!store) return std::nullopt;
  return store_hash(key_space, store->size(), sum_of_entries(*store));
}

}  // namespace knhk::smr::kv
