// Pairwise session keys and MACs, for MAC authenticators on client requests and replies
// (Castro & Liskov, "Practical Byzantine Fault Tolerance and Proactive Recovery", TOCS
// 2002, §3.2: "BFT: an algorithm without public-key signatures" replaces the client's
// signature by an authenticator, a vector with one MAC per replica).
//
// A client request carries n MACs, entry i under the key the client shares with replica i;
// replica i checks its own entry only. A reply carries one MAC under the key the replica
// shares with the client. A MAC costs ~1 µs where an ed25519 verification costs ~50 µs,
// and it is all a client exchange needs: nobody but the two ends ever checks it. What
// a third party must check (votes, certificates, checkpoints) stays signed.
//
// `sim` keys derive from the scenario seed (cheap, deterministic, same semantics: a MAC
// checks only under the pair's key); `ed25519` keys are agreed without any exchange from
// the principals' ed25519 keys: both are converted to X25519
// (crypto_sign_ed25519_{sk,pk}_to_curve25519), the Diffie-Hellman value is hashed with a
// domain tag and both public keys (sorted), and the key drives keyed BLAKE2b with a
// 16-byte output (RFC 7693 §2; a third of HMAC-SHA512-256's cost on short messages).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "protocols/common/crypto.hpp"
#include "protocols/common/types.hpp"

namespace knhk {

inline constexpr std::size_t kMacBytes = 16;
using Mac = std::array<std::uint8_t, kMacBytes>;

// The keys one principal shares with each of its peers.
class SessionKeys {
 public:
  virtual ~SessionKeys() = default;
  virtual Principal self() const = 0;
  // The MAC of `message` under the key shared by self() and `peer`; nullopt when the
  // peer is unknown (or, for ed25519, its public key is not a valid curve point).
  virtual std::optional<Mac> mac(Principal peer, std::span<const std::uint8_t> message) const = 0;
  // Constant-time comparison with the expected MAC; false for an unknown peer.
  bool check(Principal peer, std::span<const std::uint8_t> message, const Mac& tag) const;
};

// Sim scheme: the pair key is a mix of the seed and both principals.
std::shared_ptr<const SessionKeys> make_sim_session_keys(std::uint64_t seed, Principal self);

// Ed25519 scheme: the constructor derives (one X25519 scalar multiplication each) the
// key shared with every principal in `directory` of the other kind — a client's with
// each replica, a replica's with each client: the only pairs that exchange requests and
// replies. Nothing is derived later, so the object is immutable after construction (no
// lock, no cache filled on first use) and a first request never waits ~100 µs for its
// key. The cost is what lazy derivation paid anyway once every pair had talked:
// replicas × clients multiplications per side.
class Ed25519SessionKeys : public SessionKeys {
 public:
  Ed25519SessionKeys(Principal self, const Ed25519KeyPair& own,
                     const std::map<Principal, std::array<std::uint8_t, 32>>& directory);
  ~Ed25519SessionKeys() override;
  Ed25519SessionKeys(const Ed25519SessionKeys&) = delete;
  Ed25519SessionKeys& operator=(const Ed25519SessionKeys&) = delete;
  Principal self() const override { return self_; }
  // nullopt for a peer of our own kind, one not in the directory, or one whose public
  // key is not a valid curve point.
  std::optional<Mac> mac(Principal peer, std::span<const std::uint8_t> message) const override;

 private:
  using Key = std::array<std::uint8_t, 32>;

  Principal self_;
  std::map<Principal, Key> keys_;  // valid peers of the other kind only
};

// A key two principals share for one use: X25519 of one's secret and the other's public
// key, hashed with `domain` and both public keys in sorted order. nullopt for an invalid
// public key.
std::optional<std::array<std::uint8_t, 32>> derive_pair_key(
    const Ed25519KeyPair& own, const std::array<std::uint8_t, 32>& peer_public,
    std::string_view domain);
// The client-replica session key (domain "knhk-session-v1").
std::optional<std::array<std::uint8_t, 32>> derive_session_key(
    const Ed25519KeyPair& own, const std::array<std::uint8_t, 32>& peer_public);

// A signer that also holds its principal's session keys (Signer::session_keys()).
std::unique_ptr<Signer> with_session_keys(std::shared_ptr<const Signer> signer,
                                          std::shared_ptr<const SessionKeys> keys);

}  // namespace knhk
