#include "sim/verify_cache.hpp"

#include <cstring>
#include "protocols/common/digest.hpp"

namespace knhk::sim {

VerifyCache::VerifyCache(std::shared_ptr<const Verifier> inner, std::size_t capacity)
    : inner_(std::move(inner)), capacity_(capacity) {}

std::size_t VerifyCache::KeyHash::operator()(const Key& k) const {
  std::size_t h;
  std::memcpy(&h, k.data(), sizeof h);  // already uniformly distributed
  return h;
}

bool VerifyCache::verify(Principal signer, std::span<const std::uint8_t> message,
                         const Signature& sig) const {
  Hasher h;
  h.update_u64(static_cast<std::uint64_t>(signer.kind) << 32 | signer.id);
  h.update(sig);
  h.update(message);
  const Digest d = h.finish();
  Key key;
  std::memcpy(key.data(), d.bytes.data(), key.size());
  if (auto it = answers_.find(key); it != answers_.end()) {
    ++hits_;
    return it->second;
  }
  ++misses_;
  const bool ok = inner_->verify(signer, message, sig);
  if (answers_.size() >= capacity_) answers_.clear();
  answers_.emplace(key, ok);
  return ok;
}

}  // namespace knhk::sim
