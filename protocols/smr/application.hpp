// The replicated application: a deterministic state machine over opaque operations.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "protocols/common/digest.hpp"
#include "protocols/common/memo.hpp"
#include "protocols/common/params.hpp"
#include "protocols/common/types.hpp"

namespace knhk::smr {

class Application {
 public:
  virtual ~Application() = default;
  // Deterministic. A malformed operation yields an error result, never a throw.
  virtual Bytes apply(const Bytes& operation) = 0;
  // The same, for an operation taken from a request whose execution digests `memo` holds
  // (Request::digests): an application may take a digest of its state from it instead of
  // hashing, but only through DigestMemo::get with the digest's whole input, so the result
  // and the state are exactly those of apply(operation).
  virtual Bytes apply(const Bytes& operation, const DigestMemo* memo) { return apply(operation); }
  virtual Bytes snapshot() const = 0;
  // Returns false (state unchanged) when the snapshot is malformed.
  virtual bool restore(const Bytes& snapshot) = 0;
  virtual Digest state_hash() const = 0;
  // The same digest, taken from `memo` (the last executed request's Request::digests) if
  // it holds one for this hash's exact input: the seven replicas of a simulated cluster
  // reach the same state after the same batch object, so one hashes and six compare
  // bytes. The same rules as apply(operation, memo); the default ignores the memo.
  virtual Digest state_hash(const DigestMemo* memo) const { return state_hash(); }
};

std::unique_ptr<Application> make_application(AppKind kind, std::uint32_t keys);

// The application state hash as a function of snapshot bytes alone: what state_hash()
// returns after restore(bytes), so a snapshot can be checked without an application.
// The kv store's and the bank's hashes are incremental (a sum of per-entry digests, so a
// commit rehashes the entries it wrote, not the state); the noop application's is BLAKE2b
// of its snapshot bytes. Each application's snapshot starts with its own tag byte.
Digest snapshot_state_hash(std::span<const std::uint8_t> app_snapshot);

// The kv store's and the bank's snapshots start with their tag byte and a 32-bit size
// (key space, accounts) that their decoders need before anything else: that size, or
// nullopt if the bytes are too short or carry another tag.
std::optional<std::uint32_t> snapshot_size_field(std::span<const std::uint8_t> app_snapshot,
                                                 std::uint8_t tag);

}  // namespace knhk::smr
