// A Verifier that checks each distinct (signer, message, signature) once per run.
//
// In a simulation a broadcast is one message object delivered to n - 1 replicas, and
// each of them checks the same ed25519 signature (about 45 µs with libsodium): without
// this, a 7-node PBFT run spends most of its time verifying one signature six times.
// The answers are the wrapped verifier's, so a run, its trace and its digest are the same
// with or without the cache; a forged or mutated message has different bytes and gets
// its own (negative) entry.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "protocols/common/crypto.hpp"

namespace knhk::sim {

class VerifyCache final : public Verifier {
 public:
  // At `capacity` entries the cache starts over (bounded memory on long runs).
  explicit VerifyCache(std::shared_ptr<const Verifier> inner, std::size_t capacity = 1u << 20);
  bool verify(Principal signer, std::span<const std::uint8_t> message,
              const Signature& sig) const override;
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }

 private:
  // 128 bits of BLAKE2b over (signer, signature, message): a collision would take about
  // 2^64 messages.
  using Key = std::array<std::uint8_t, 16>;
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  std::shared_ptr<const Verifier> inner_;
  std::size_t capacity_;
  // Looked up only, never iterated: its order cannot reach the run.
  mutable std::unordered_map<Key, bool, KeyHash> answers_;
  mutable std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace knhk::sim
