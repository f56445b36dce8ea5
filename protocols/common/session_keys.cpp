#include "protocols/common/session_keys.hpp"

#include <sodium.h>

#define XXH_INLINE_ALL  // sim MACs hash short bodies: no call into the library
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "protocols/common/endian.hpp"

namespace knhk {
namespace {

std::uint64_t principal_code(Principal p) {
  return (static_cast<std::uint64_t>(p.kind) << 32) | p.id;
}

// The sim pair key: symmetric in the two principals, different for every pair and seed.
std::uint64_t sim_pair_key(std::uint64_t seed, Principal a, Principal b) {
  std::uint64_t lo = std::min(principal_code(a), principal_code(b));
  std::uint64_t hi = std::max(principal_code(a), principal_code(b));
  std::array<std::uint8_t, 16> pair{};
  store_le64(pair.data(), lo);
  store_le64(pair.data() + 8, hi);
  return keyed_hash64(seed ^ 0x5e5510e4e75ULL, pair);
}

class SimSessionKeys : public SessionKeys {
 public:
  SimSessionKeys(std::uint64_t seed, Principal self) : seed_(seed), self_(self) {}
  Principal self() const override { return self_; }
  std::optional<Mac> mac(Principal peer, std::span<const std::uint8_t> message) const override {
    // One XXH3-128 of the message under the pair key fills the 16 bytes (two 64-bit
    // hashes did until 2026-11-26).
    const XXH128_hash_t h =
        XXH3_128bits_withSeed(message.data(), message.size(), sim_pair_key(seed_, self_, peer));
    Mac m{};
    store_le64(m.data(), h.low64);
    store_le64(m.data() + 8, h.high64);
    return m;
  }

 private:
  std::uint64_t seed_;
  Principal self_;
};

class SignerWithSessionKeys : public Signer {
 public:
  SignerWithSessionKeys(std::shared_ptr<const Signer> signer,
                        std::shared_ptr<const SessionKeys> keys)
      : signer_(std::move(signer)), keys_(std::move(keys)) {}
  Principal principal() const override { return signer_->principal(); }
  Signature sign(std::span<const std::uint8_t> message) const override {
    return signer_->sign(message);
  }
  const SessionKeys* session_keys() const override { return keys_.get(); }

 private:
  std::shared_ptr<const Signer> signer_;
  std::shared_ptr<const SessionKeys> keys_;
};

}  // namespace

bool SessionKeys::check(Principal peer, std::span<const std::uint8_t> message,
                        const Mac& tag) const {
  std::optional<Mac> expected = mac(peer, message);
  if (!expected) return false;
  // Constant time without a call: OR of the XORed halves (sodium_memcmp cost as much as
  // a sim MAC, and a MAC is checked for every request and reply).
  static_assert(sizeof(Mac) == 16);
  std::uint64_t a[2], b[2];
  std::memcpy(a, expected->data(), 16);
  std::memcpy(b, tag.data(), 16);
  return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

std::shared_ptr<const SessionKeys> make_sim_session_keys(std::uint64_t seed, Principal self) {
  return std::make_shared<SimSessionKeys>(seed, self);
}

std::optional<std::array<std::uint8_t, 32>> derive_pair_key(
    const Ed25519KeyPair& own, const std::array<std::uint8_t, 32>& peer_public,
    std::string_view domain) {
  std::array<std::uint8_t, 32> own_curve_sk{}, peer_curve_pk{}, shared{};
  bool ok = crypto_sign_ed25519_sk_to_curve25519(own_curve_sk.data(), own.secret_key.data()) == 0 &&
            crypto_sign_ed25519_pk_to_curve25519(peer_curve_pk.data(), peer_public.data()) == 0 &&
            crypto_scalarmult(shared.data(), own_curve_sk.data(), peer_curve_pk.data()) == 0;
  sodium_memzero(own_curve_sk.data(), own_curve_sk.size());
  if (!ok) return std::nullopt;
  // Bound to both identities, so it is the same from either side; the domain tag keeps
  // keys of different uses (client sessions, transport links) apart for the same pair.
  const auto& lo = std::min(own.public_key, peer_public);
  const auto& hi = std::max(own.public_key, peer_public);
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(domain.data()),
                            domain.size());
  crypto_generichash_update(&st, shared.data(), shared.size());
  crypto_generichash_update(&st, lo.data(), lo.size());
  crypto_generichash_update(&st, hi.data(), hi.size());
  std::array<std::uint8_t, 32> key{};
  crypto_generichash_final(&st, key.data(), key.size());
  sodium_memzero(shared.data(), shared.size());
  return key;
}

std::optional<std::array<std::uint8_t, 32>> derive_session_key(
    const Ed25519KeyPair& own, const std::array<std::uint8_t, 32>& peer_public) {
  return derive_pair_key(own, peer_public, "knhk-session-v1");
}

Ed25519SessionKeys::Ed25519SessionKeys(
    Principal self, const Ed25519KeyPair& own,
    const std::map<Principal, std::array<std::uint8_t, 32>>& directory)
    : self_(self) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  for (const auto& [peer, public_key] : directory) {
    if (peer.kind == self.kind) continue;  // sessions are between a client and a replica
    if (auto key = derive_session_key(own, public_key)) keys_.emplace(peer, *key);
  }
}

Ed25519SessionKeys::~Ed25519SessionKeys() {
  for (auto& [p, key] : keys_) sodium_memzero(key.data(), key.size());
}

std::optional<Mac> Ed25519SessionKeys::mac(Principal peer,
                                           std::span<const std::uint8_t> message) const {
  auto it = keys_.find(peer);
  if (it == keys_.end()) return std::nullopt;
  const Key* key = &it->second;
  // Keyed BLAKE2b with a 16-byte output (RFC 7693 §2: the keyed mode is a MAC): a third
  // of HMAC-SHA512's cost on a short request body.
  static_assert(crypto_generichash_BYTES_MIN <= kMacBytes);
  Mac m{};
  crypto_generichash(m.data(), m.size(), message.data(), message.size(), key->data(), key->size());
  return m;
}

std::unique_ptr<Signer> with_session_keys(std::shared_ptr<const Signer> signer,
                                          std::shared_ptr<const SessionKeys> keys) {
  return std::make_unique<SignerWithSessionKeys>(std::move(signer), std::move(keys));
}

}  // namespace knhk
