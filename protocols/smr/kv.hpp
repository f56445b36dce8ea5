// The key-value application: put / get / compare-and-swap over a bounded key space.
//
// Operation encoding (canonical, protocols/common/codec.hpp):
//   u8 op (1 put, 2 get, 3 cas) · key · op-specific fields
//   key    = u8 kind (0 integer: u32 index < key space; 1 named: bytes, 1..64 bytes)
//   put    = key · bytes value
//   get    = key
//   cas    = key · bool has_expected · [bytes expected] · bytes new_value
//            (no expected value means "insert only if absent")
// Result encoding:
//   u8 status (0 ok, 1 value, 2 not_found, 3 cas_failed, 4 error) ·
//   value:      bytes value
//   cas_failed: bool present · [bytes current value]   (what the cas saw instead)
//   error:      string reason
// Values are at most kMaxValueBytes; the store holds at most kMaxEntries keys.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "protocols/common/digest.hpp"
#include "protocols/common/types.hpp"
#include "protocols/smr/application.hpp"

namespace knhk::smr::kv {

inline constexpr std::uint32_t kMaxValueBytes = 4096;
inline constexpr std::uint32_t kMaxNameBytes = 64;
inline constexpr std::uint32_t kMaxEntries = 1u << 20;

// A key: an index into the integer key space, or a short name.
struct Key {
  std::variant<std::uint32_t, std::string> id;
  // The variant's own order (every index before every name, indexes by value, names
  // lexicographically), compared directly when both are indexes: the store compares
  // keys about log2(entries) times per operation, and visiting the variant for each
  // comparison was a visible cost.
  std::strong_ordering operator<=>(const Key& o) const {
    const auto* a = std::get_if<std::uint32_t>(&id);
    const auto* b = std::get_if<std::uint32_t>(&o.id);
    if (a && b) return *a <=> *b;
    return id <=> o.id;
  }
  bool operator==(const Key& o) const {
    const auto* a = std::get_if<std::uint32_t>(&id);
    const auto* b = std::get_if<std::uint32_t>(&o.id);
    if (a && b) return *a == *b;
    return id == o.id;
  }
  static Key index(std::uint32_t i) { return Key{i}; }
  static Key named(std::string s) { return Key{std::move(s)}; }
};
std::string to_string(const Key& k);  // "#7" or "name"

enum class OpKind : std::uint8_t { put = 1, get = 2, cas = 3 };

struct Op {
  OpKind kind = OpKind::get;
  Key key;
  std::optional<Bytes> expected;  // cas only: nullopt means "expect absent"
  Bytes value;                    // put: the value; cas: the new value
  bool operator==(const Op&) const = default;
};

enum class Status : std::uint8_t { ok = 0, value = 1, not_found = 2, cas_failed = 3, error = 4 };

struct Result {
  Status status = Status::ok;
  std::optional<Bytes> value;  // value: the value read; cas_failed: the current value, if any
  std::string error;           // error only
  bool operator==(const Result&) const = default;
};

Bytes encode_put(const Key& key, const Bytes& value);
Bytes encode_get(const Key& key);
Bytes encode_cas(const Key& key, const std::optional<Bytes>& expected, const Bytes& new_value);
Bytes encode_op(const Op& op);
// nullopt for malformed bytes (wrong tag, trailing bytes, oversized fields).
std::optional<Op> decode_op(std::span<const std::uint8_t> bytes);

Bytes encode_result(const Result& r);
std::optional<Result> decode_result(std::span<const std::uint8_t> bytes);

// The canonical encoding of a key alone (the partition id used by the checker).
Bytes encode_key(const Key& key);

std::unique_ptr<Application> make_kv_application(std::uint32_t key_space);

// The kv state hash: BLAKE2b over a domain tag, the key space, the entry count and the
// sum modulo 2^256 of entry_digest over all entries (AdHash-style, like the client table
// in state_machine.hpp), so a put updates it with one subtract and one add.
Digest entry_digest(const Key& key, std::span<const std::uint8_t> value);
// The same digest, looked up in (and added to) `memo` by its exact input bytes if given.
Digest entry_digest(const Key& key, std::span<const std::uint8_t> value, const DigestMemo* memo);
// The state hash of the store a kv snapshot encodes; nullopt if `snapshot` is not a
// well-formed kv snapshot.
std::optional<Digest> snapshot_state_hash(std::span<const std::uint8_t> snapshot);

}  // namespace knhk::smr::kv
