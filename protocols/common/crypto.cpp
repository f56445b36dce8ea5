#include "protocols/common/crypto.hpp"

#include <sodium.h>

#define XXH_INLINE_ALL  // keyed_hash64 hashes short inputs: no call into the library
#include <xxhash.h>

#include <cstring>
#include <stdexcept>

#include "protocols/common/digest.hpp"
#include "protocols/common/endian.hpp"
#include "protocols/common/session_keys.hpp"

namespace knhk {
namespace {

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::uint64_t principal_code(Principal p) {
  return (static_cast<std::uint64_t>(p.kind) << 32) | p.id;
}

class SimSigner : public Signer {
 public:
  SimSigner(Principal p, std::uint64_t secret) : principal_(p), secret_(secret) {}
  Principal principal() const override { return principal_; }
  Signature sign(std::span<const std::uint8_t> message) const override {
    Signature sig{};
    std::uint64_t tag = keyed_hash64(secret_, message);
    store_le64(sig.data(), tag);
    return sig;
  }

 private:
  Principal principal_;
  std::uint64_t secret_;
};

class SimVerifier : public Verifier {
 public:
  explicit SimVerifier(SimKeyRing ring) : ring_(ring) {}
  bool verify(Principal signer, std::span<const std::uint8_t> message,
              const Signature& sig) const override {
    std::uint64_t tag = keyed_hash64(ring_.secret(signer), message);
    Signature expected{};
    store_le64(expected.data(), tag);
    return expected == sig;
  }

 private:
  SimKeyRing ring_;
};

class Ed25519Signer : public Signer {
 public:
  Ed25519Signer(Principal p, const Ed25519KeyPair& keys) : principal_(p), keys_(keys) {}
  Principal principal() const override { return principal_; }
  Signature sign(std::span<const std::uint8_t> message) const override {
    Signature sig{};
    crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(),
                         keys_.secret_key.data());
    return sig;
  }

 private:
  Principal principal_;
  Ed25519KeyPair keys_;
};

void ensure_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

const char* to_string(CryptoScheme s) {
  return s == CryptoScheme::sim ? "sim" : "ed25519";
}

// XXH3-64 seeded with the key: MACs and signatures hash short bodies (20-100 bytes), where
// XXH3 needs about a third of the instructions of the word-at-a-time mix64 loop it replaced.
std::uint64_t keyed_hash64(std::uint64_t key, std::span<const std::uint8_t> data) {
  return XXH3_64bits_withSeed(data.data(), data.size(), key);
}

std::uint64_t SimKeyRing::secret(Principal p) const {
  return mix64(seed_ ^ mix64(principal_code(p) + 0x5eed));
}

std::unique_ptr<Signer> SimKeyRing::signer(Principal p) const {
  return std::make_unique<SimSigner>(p, secret(p));
}

std::shared_ptr<const Verifier> SimKeyRing::verifier() const {
  return std::make_shared<SimVerifier>(*this);
}

Ed25519KeyPair ed25519_keypair_from_seed(const std::array<std::uint8_t, 32>& seed) {
  ensure_sodium();
  Ed25519KeyPair kp;
  crypto_sign_seed_keypair(kp.public_key.data(), kp.secret_key.data(), seed.data());
  return kp;
}

Ed25519KeyPair ed25519_random_keypair() {
  ensure_sodium();
  Ed25519KeyPair kp;
  crypto_sign_keypair(kp.public_key.data(), kp.secret_key.data());
  return kp;
}

std::unique_ptr<Signer> make_ed25519_signer(Principal p, const Ed25519KeyPair& keys) {
  return std::make_unique<Ed25519Signer>(p, keys);
}

bool Ed25519Verifier::verify(Principal signer, std::span<const std::uint8_t> message,
                             const Signature& sig) const {
  auto it = keys_.find(signer);
  if (it == keys_.end()) return false;
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(),
                                     it->second.data()) == 0;
}

ClusterKeys::ClusterKeys(CryptoScheme scheme, std::uint64_t seed, std::uint32_t replicas,
                         std::uint32_t clients)
    : scheme_(scheme), seed_(seed), sim_(seed) {
  if (scheme == CryptoScheme::sim) {
    verifier_ = sim_.verifier();
    return;
  }
  auto v = std::make_shared<Ed25519Verifier>();
  for (std::uint32_t i = 0; i < replicas; ++i) {
    auto p = Principal::replica(NodeId(i));
    v->add(p, public_keys_[p] = ed25519_keypair_from_seed(ed25519_seed(p)).public_key);
  }
  for (std::uint32_t c = 0; c < clients; ++c) {
    auto p = Principal::client(ClientId(c));
    v->add(p, public_keys_[p] = ed25519_keypair_from_seed(ed25519_seed(p)).public_key);
  }
  verifier_ = v;
}

std::array<std::uint8_t, 32> ClusterKeys::ed25519_seed(Principal p) const {
  Bytes material(17);
  for (int i = 0; i < 8; ++i)
    material[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(seed_ >> (8 * i));
  material[8] = static_cast<std::uint8_t>(p.kind);
  for (int i = 0; i < 4; ++i)
    material[static_cast<std::size_t>(9 + i)] = static_cast<std::uint8_t>(p.id >> (8 * i));
  return blake2b(material).bytes;
}

std::shared_ptr<const SessionKeys> ClusterKeys::session_keys(Principal p) const {
  if (scheme_ == CryptoScheme::sim) return make_sim_session_keys(seed_, p);
  return std::make_shared<Ed25519SessionKeys>(p, ed25519_keypair_from_seed(ed25519_seed(p)),
                                              public_keys_);
}

std::unique_ptr<Signer> ClusterKeys::signer(Principal p) const {
  std::shared_ptr<const Signer> base;
  if (scheme_ == CryptoScheme::sim)
    base = sim_.signer(p);
  else
    base = make_ed25519_signer(p, ed25519_keypair_from_seed(ed25519_seed(p)));
  return with_session_keys(std::move(base), session_keys(p));
}

}  // namespace knhk
