// Signatures behind two small interfaces, so a replica never knows which scheme runs.
//
// `ed25519` is libsodium's; `sim` is a keyed 64-bit mix of a per-principal secret and
// the message, cheap enough that the simulator is not bound by hashing, yet its verifier
// still rejects a signature that the claimed signer did not make.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "protocols/common/types.hpp"

namespace knhk {

using Signature = std::array<std::uint8_t, 64>;

enum class CryptoScheme { sim, ed25519 };
class SessionKeys;  // protocols/common/session_keys.hpp
const char* to_string(CryptoScheme s);

class Signer {
 public:
  virtual ~Signer() = default;
  virtual Principal principal() const = 0;
  virtual Signature sign(std::span<const std::uint8_t> message) const = 0;
  // The principal's pairwise MAC keys, if it has them: then client requests carry MAC
  // authenticators and replies a MAC instead of a signature (session_keys.hpp).
  virtual const SessionKeys* session_keys() const { return nullptr; }
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual bool verify(Principal signer, std::span<const std::uint8_t> message,
                      const Signature& sig) const = 0;
};

// Fast keyed 64-bit hash used by the sim scheme: XXH3-64 with `key` as its seed (not
// cryptographic; nothing in a simulation searches for collisions).
std::uint64_t keyed_hash64(std::uint64_t key, std::span<const std::uint8_t> data);

// Deterministic keys for a simulated cluster: every secret derives from the seed.
class SimKeyRing {
 public:
  explicit SimKeyRing(std::uint64_t seed) : seed_(seed) {}
  std::uint64_t secret(Principal p) const;
  std::unique_ptr<Signer> signer(Principal p) const;
  std::shared_ptr<const Verifier> verifier() const;

 private:
  std::uint64_t seed_;
};

struct Ed25519KeyPair {
  std::array<std::uint8_t, 32> public_key{};
  std::array<std::uint8_t, 64> secret_key{};
};

Ed25519KeyPair ed25519_keypair_from_seed(const std::array<std::uint8_t, 32>& seed);
Ed25519KeyPair ed25519_random_keypair();

std::unique_ptr<Signer> make_ed25519_signer(Principal p, const Ed25519KeyPair& keys);

// Verifies against a fixed table of public keys; an unknown principal never verifies.
class Ed25519Verifier : public Verifier {
 public:
  void add(Principal p, const std::array<std::uint8_t, 32>& public_key) { keys_[p] = public_key; }
  bool verify(Principal signer, std::span<const std::uint8_t> message,
              const Signature& sig) const override;

 private:
  std::map<Principal, std::array<std::uint8_t, 32>> keys_;
};

// Keys for a simulated cluster under either scheme, all derived from the scenario seed.
// Its signers carry session keys, so clients and replicas use MAC authenticators.
class ClusterKeys {
 public:
  ClusterKeys(CryptoScheme scheme, std::uint64_t seed, std::uint32_t replicas,
              std::uint32_t clients);
  CryptoScheme scheme() const { return scheme_; }
  std::unique_ptr<Signer> signer(Principal p) const;
  std::shared_ptr<const Verifier> verifier() const { return verifier_; }

 private:
  std::array<std::uint8_t, 32> ed25519_seed(Principal p) const;
  std::shared_ptr<const SessionKeys> session_keys(Principal p) const;
  CryptoScheme scheme_;
  std::map<Principal, std::array<std::uint8_t, 32>> public_keys_;  // ed25519 only
  std::uint64_t seed_;
  SimKeyRing sim_;
  std::shared_ptr<const Verifier> verifier_;
};

}  // namespace knhk
