// Per-pair datagram authentication keys.
//
// Every principal (replica or client) has an ed25519 key pair; the cluster file lists
// the public keys. Two principals derive the same 32-byte link key without talking:
// both ed25519 keys are converted to X25519 (crypto_sign_ed25519_{sk,pk}_to_curve25519),
// the Diffie-Hellman value crypto_scalarmult(sk_self, pk_peer) is hashed together with
// both public keys (sorted), and the result keys a keyed BLAKE2b-256 tag over each
// datagram. A MAC per datagram costs ~1 µs against ~50 µs for an ed25519 verification,
// and proves which principal sent it; the protocols still sign what must be
// transferable (votes, certificates, checkpoints, view changes).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "protocols/common/crypto.hpp"
#include "protocols/common/types.hpp"

namespace knhk::net {

using PublicKey = std::array<std::uint8_t, 32>;
using LinkKey = std::array<std::uint8_t, 32>;
using AuthTag = std::array<std::uint8_t, 32>;

// Derives the link key between the owner of `own` and the holder of `peer_public`;
// nullopt when the peer's key is not a valid curve point.
std::optional<LinkKey> derive_link_key(const Ed25519KeyPair& own, const PublicKey& peer_public);

AuthTag compute_tag(const LinkKey& key, std::span<const std::uint8_t> data);
bool verify_tag(const LinkKey& key, std::span<const std::uint8_t> data,
                std::span<const std::uint8_t> tag);

// The directory of known principals and a cache of derived link keys (bounded by the
// directory, so unknown senders can never grow it).
class LinkKeys {
 public:
  LinkKeys(Principal self, Ed25519KeyPair own, std::map<Principal, PublicKey> directory);

  Principal self() const { return self_; }
  bool knows(Principal p) const { return directory_.count(p) != 0; }
  // The key shared with `peer`, or nullptr if the peer is unknown or its key is invalid.
  // Valid until the next call (a key derived on first use may move the others).
  const LinkKey* key_for(Principal peer);
  // Derives every key shared with principals of `kind` now, so that the first datagram
  // of each peer does not wait for a scalar multiplication (~100 µs each).
  void derive(Principal::Kind kind);

 private:
  Principal self_;
  Ed25519KeyPair own_;
  std::map<Principal, PublicKey> directory_;
  // Derived keys: sorted principals and their keys side by side, searched as one compact
  // array (a per-datagram lookup; std::map nodes were a few cache misses each).
  std::vector<Principal> derived_;
  std::vector<std::optional<LinkKey>> keys_;
};

}  // namespace knhk::net
