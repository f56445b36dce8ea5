#include "protocols/smr/kv.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <string_view>
#include <vector>

#include "protocols/common/codec.hpp"
#include "protocols/common/endian.hpp"
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

// The results of the common outcomes, built in one allocation of their exact size (a
// Writer starts at 128 bytes): byte for byte what encode_result writes for them.
Bytes status_result(Status s) {
  return Bytes{static_cast<std::uint8_t>(s)};
}
// Status::cas_failed with the current value, if any: what encode_result writes for it.
Bytes cas_failed_result(const Bytes* current) {
  Bytes out;
  out.reserve(2 + (current ? 4 + current->size() : 0));
  out.push_back(static_cast<std::uint8_t>(Status::cas_failed));
  out.push_back(current ? 1 : 0);
  if (current) {
    std::uint8_t length[4];
    store_le32(length, static_cast<std::uint32_t>(current->size()));
    out.insert(out.end(), length, length + 4);
    out.insert(out.end(), current->begin(), current->end());
  }
  return out;
}
Bytes value_result(const Bytes& value) {  // Status::value
  Bytes out(1 + 4 + value.size());
  out[0] = static_cast<std::uint8_t>(Status::value);
  store_le32(out.data() + 1, static_cast<std::uint32_t>(value.size()));
  if (!value.empty()) std::memcpy(out.data() + 5, value.data(), value.size());
  return out;
}

Digest store_hash(std::uint32_t key_space, std::size_t entries, const Digest& sum,
                  const DigestMemo* memo = nullptr) {
  HashInput h;
  h.raw("knhk.kv.state.v2");
  h.u64(key_space);
  h.u64(entries);
  h.digest(sum);
  return h.finish(memo);
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

// A stored value with its entry_digest: overwriting a key subtracts the old digest from
// the sum without hashing the old value again.
struct Entry {
  Bytes value;
  Digest digest;  // entry_digest(key, value)
};

// Integer keys below this are kept in a vector by index (see KvApplication::dense_).
constexpr std::uint32_t kDenseIndexes = 1u << 14;

// The index of a key kept in the vector, or nullptr for a key kept in the map.
const std::uint32_t* dense_index(const Key& k) {
  const auto* i = std::get_if<std::uint32_t>(&k.id);
  return i && *i < kDenseIndexes ? i : nullptr;
}

// The store itself: a sorted map, so the snapshot (and thus the state hash) is canonical.
class KvApplication : public Application {
 public:
  explicit KvApplication(std::uint32_t key_space) : key_space_(key_space) {}

  Bytes apply(const Bytes& operation) override { return apply(operation, nullptr); }

  // `memo` only saves hashing a written entry: its digest is looked up by its whole input.
  Bytes apply(const Bytes& operation, const DigestMemo* memo) override {
    if (auto result = apply_indexed(operation, memo)) return std::move(*result);
    auto op = decode_op(operation);
    if (!op) return error_result("malformed operation");
    if (!in_key_space(op->key)) return error_result("key outside key space");
    switch (op->kind) {
      case OpKind::put:
        return put(op->key, op->value, memo);
      case OpKind::get:
        return get(op->key);
      case OpKind::cas:
        return cas(*op, memo);
    }
    return error_result("unknown operation");
  }

  Bytes snapshot() const override {
    Writer w;
    w.u8(kSnapshotTag);
    w.u32(key_space_);
    w.u32(static_cast<std::uint32_t>(size()));
    for (std::uint32_t i = 0; i < dense_.size(); ++i) {
      if (!dense_[i].present) continue;
      w.u8(kIndexKey);
      w.u32(i);
      w.bytes(dense_[i].entry.value);
    }
    for (const auto& [k, e] : store_) {
      put_key(w, k);
      w.bytes(e.value);
    }
    return w.take();
  }

  bool restore(const Bytes& snapshot) override {
    auto decoded = decode_all(snapshot, [&](Reader& r) { return decode_store(r, key_space_); });
    if (!decoded) return false;
    std::vector<Slot> dense;
    std::size_t dense_count = 0;
    std::map<Key, Entry> store;
    Digest sum;
    for (auto& [k, v] : *decoded) {
      const Digest d = entry_digest(k, v);
      sum = digest_add(sum, d);
      if (const auto* i = dense_index(k)) {
        if (*i >= dense.size()) dense.resize(*i + 1);
        dense[*i] = Slot{Entry{std::move(v), d}, true};
        ++dense_count;
      } else {
        store.emplace_hint(store.end(), k, Entry{std::move(v), d});
      }
    }
    dense_ = std::move(dense);
    dense_count_ = dense_count;
    store_ = std::move(store);
    sum_ = sum;
    return true;
  }

  Digest state_hash() const override { return state_hash(nullptr); }
  Digest state_hash(const DigestMemo* memo) const override {
    return store_hash(key_space_, size(), sum_, memo);
  }

 private:
  bool in_key_space(const Key& k) const {
    auto* i = std::get_if<std::uint32_t>(&k.id);
    return !i || *i < key_space_;
  }

  // A put, get or cas of an integer key in the key space, read in place: building an Op (a
  // key variant, an optional and a value) through the general decoder cost more than the
  // store's lookup, and nearly every operation is one of these. Anything else, including
  // every malformed input, returns nullopt and takes the general path, so the result is
  // the same either way.
  std::optional<Bytes> apply_indexed(std::span<const std::uint8_t> op, const DigestMemo* memo) {
    constexpr std::size_t kKeyEnd = 1 + 1 + 4;  // op, key kind, index
    if (op.size() < kKeyEnd || op[1] != kIndexKey) return std::nullopt;
    const std::uint32_t index = load_le32(op.data() + 2);
    if (index >= key_space_) return std::nullopt;
    if (op[0] == static_cast<std::uint8_t>(OpKind::get) && op.size() == kKeyEnd)
      return get(Key::index(index));
    if (op[0] == static_cast<std::uint8_t>(OpKind::cas)) return apply_indexed_cas(op, index, memo);
    if (op[0] != static_cast<std::uint8_t>(OpKind::put) || op.size() < kKeyEnd + 4)
      return std::nullopt;
    const std::uint32_t length = load_le32(op.data() + kKeyEnd);
    if (length > kMaxValueBytes || op.size() - (kKeyEnd + 4) != length) return std::nullopt;
    return put(Key::index(index), op.subspan(kKeyEnd + 4), memo);
  }

  // A cas of an integer key, read in place as apply_indexed reads a put (a tenth of the
  // simulator's operations: decode_op built an Op with two vectors for each, and the
  // failed case's result went through a Writer). The same checks as decode_op (a canonical
  // boolean, lengths within kMaxValueBytes and the input, no trailing bytes); anything
  // else returns nullopt and takes the general path.
  std::optional<Bytes> apply_indexed_cas(std::span<const std::uint8_t> op, std::uint32_t index,
                                         const DigestMemo* memo) {
    std::size_t at = 1 + 1 + 4;  // op, key kind, index
    if (op.size() <= at || op[at] > 1) return std::nullopt;
    const bool has_expected = op[at++] == 1;
    std::span<const std::uint8_t> expected;
    if (has_expected) {
      if (op.size() - at < 4) return std::nullopt;
      const std::uint32_t length = load_le32(op.data() + at);
      at += 4;
      if (length > kMaxValueBytes || op.size() - at < length) return std::nullopt;
      expected = op.subspan(at, length);
      at += length;
    }
    if (op.size() - at < 4) return std::nullopt;
    const std::uint32_t length = load_le32(op.data() + at);
    at += 4;
    if (length > kMaxValueBytes || op.size() - at != length) return std::nullopt;
    const Key key = Key::index(index);
    const Entry* e = find(key);
    const bool matches = e ? has_expected && std::ranges::equal(expected, e->value) : !has_expected;
    if (!matches) return cas_failed_result(e ? &e->value : nullptr);
    return put(key, op.subspan(at), memo);
  }

  // One lookup: the position found is also where a new key goes. An overwrite copies the
  // value into the old one's buffer (same size in the usual workload): no allocation, and
  // no vector for the operation's value is built before it.
  Bytes put(const Key& k, std::span<const std::uint8_t> value, const DigestMemo* memo) {
    if (const auto* i = dense_index(k)) return put_dense(*i, k, value, memo);
    auto it = store_.lower_bound(k);
    const bool present = it != store_.end() && !(k < it->first);
    if (!present && size() >= kMaxEntries) return error_result("store full");
    const Digest d = entry_digest(k, value, memo);
    if (present) {
      sum_ = digest_sub(sum_, it->second.digest);
      it->second.value.assign(value.begin(), value.end());
      it->second.digest = d;
    } else {
      store_.emplace_hint(it, k, Entry{Bytes(value.begin(), value.end()), d});
    }
    sum_ = digest_add(sum_, d);
    return status_result(Status::ok);
  }

  // put() for a key kept in dense_: the same checks, digests and result.
  Bytes put_dense(std::uint32_t i, const Key& k, std::span<const std::uint8_t> value,
                  const DigestMemo* memo) {
    const bool present = i < dense_.size() && dense_[i].present;
    if (!present && size() >= kMaxEntries) return error_result("store full");
    const Digest d = entry_digest(k, value, memo);
    if (i >= dense_.size()) dense_.resize(i + 1);
    Slot& slot = dense_[i];
    if (present) {
      sum_ = digest_sub(sum_, slot.entry.digest);
    } else {
      slot.present = true;
      ++dense_count_;
    }
    slot.entry.value.assign(value.begin(), value.end());
    slot.entry.digest = d;
    sum_ = digest_add(sum_, d);
    return status_result(Status::ok);
  }

  const Entry* find(const Key& k) const {
    if (const auto* i = dense_index(k))
      return *i < dense_.size() && dense_[*i].present ? &dense_[*i].entry : nullptr;
    auto it = store_.find(k);
    return it != store_.end() ? &it->second : nullptr;
  }

  std::size_t size() const { return dense_count_ + store_.size(); }

  Bytes get(const Key& k) const {
    const Entry* e = find(k);
    if (!e) return status_result(Status::not_found);
    return value_result(e->value);
  }

  Bytes cas(const Op& op, const DigestMemo* memo) {
    const Entry* e = find(op.key);
    const Bytes* current = e ? &e->value : nullptr;
    const bool expected = current ? op.expected && *op.expected == *current : !op.expected;
    if (!expected) {
      return encode_result(
          Result{Status::cas_failed, current ? std::optional<Bytes>(*current) : std::nullopt, {}});
    }
    return put(op.key, op.value, memo);
  }

  // The store is dense_ and store_ together. Integer keys below kDenseIndexes are found by
  // index in dense_ (grown to the highest such index written): a put or get of one, nearly
  // every operation of the simulator's workloads, walked a tree of keys before, each node
  // a likely cache miss with seven simulated replicas. Every other key (names, indexes of
  // a larger key space) is in store_, a sorted map. The slots in index order and then the
  // map are the store in key order (every index before every name, indexes by value), so
  // the snapshot is canonical as before.
  struct Slot {
    Entry entry;
    bool present = false;
  };
  std::uint32_t key_space_;
  std::vector<Slot> dense_;
  std::size_t dense_count_ = 0;  // slots present
  std::map<Key, Entry> store_;
  Digest sum_;  // sum of entry_digest over the store
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

// Operations live on in request logs and the run record: written on the stack, they
// leave in one allocation of their exact size (a heap Writer keeps 128 bytes' room).
Bytes encode_op(const Op& op) {
  StackWriter<64> w;
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
Digest entry_digest(const Key& key, std::span<const std::uint8_t> value) {
  return entry_digest(key, value, nullptr);
}

Digest entry_digest(const Key& key, std::span<const std::uint8_t> value, const DigestMemo* memo) {
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
  return h.finish(memo);
}

std::optional<Digest> snapshot_state_hash(std::span<const std::uint8_t> snapshot) {
  const auto key_space = snapshot_size_field(snapshot, kSnapshotTag);
  if (!key_space) return std::nullopt;
  auto store = decode_all(snapshot, [&](Reader& r) { return decode_store(r, *key_space); });
  if (!store) return std::nullopt;
  return store_hash(*key_space, store->size(), sum_of_entries(*store));
}

}  // namespace knhk::smr::kv
