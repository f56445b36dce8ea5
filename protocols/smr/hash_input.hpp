// The small hash inputs of the replicated state (a reply, a client entry, a kv entry, the
// state hash) are assembled here and hashed with one BLAKE2b call. A Hasher fed field by
// field costs an init, one update per field and a final for the same bytes, and these
// digests run several times per executed request at every replica. The digest depends on
// the bytes alone, so it is the same either way; an input longer than the stack buffer
// continues in a Hasher.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "protocols/common/digest.hpp"
#include "protocols/common/endian.hpp"
#include "protocols/common/memo.hpp"

namespace knhk::smr {

class HashInput {
 public:
  HashInput() = default;
  HashInput(const HashInput&) = delete;
  HashInput& operator=(const HashInput&) = delete;

  void raw(std::span<const std::uint8_t> data) {
    if (!spilled_ && data.size() <= kCapacity - size_) {
      if (!data.empty()) std::memcpy(buf_ + size_, data.data(), data.size());
      size_ += data.size();
      return;
    }
    spill();
    spilled_->update(data);
  }
  void raw(std::string_view s) { raw({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}); }
  // Fixed-width fields are stored whole, little-endian, with a copy of constant size (one
  // store): a byte loop and an out-of-line copy per field were a fifth of a short digest's
  // instructions next to BLAKE2b itself.
  void u8(std::uint8_t v) { fixed<1>(&v); }
  void u32(std::uint32_t v) {
    std::uint8_t le[4];
    store_le32(le, v);
    fixed<4>(le);
  }
  void u64(std::uint64_t v) {
    std::uint8_t le[8];
    store_le64(le, v);
    fixed<8>(le);
  }
  void digest(const Digest& d) { fixed<32>(d.bytes.data()); }

  Digest finish() {
    if (!spilled_) return blake2b({buf_, size_});
    return spilled_->finish();
  }
  // The same digest, taken from `memo` if it holds one for these exact bytes (an input
  // that spilled into the Hasher is not kept whole, so it is hashed).
  Digest finish(const DigestMemo* memo) {
    if (!memo || spilled_) return finish();
    return memo->get({buf_, size_}, [&] { return blake2b({buf_, size_}); });
  }

 private:
  static constexpr std::size_t kCapacity = 256;

  template <std::size_t N>
  void fixed(const void* p) {
    if (!spilled_ && N <= kCapacity - size_) {
      std::memcpy(buf_ + size_, p, N);
      size_ += N;
      return;
    }
    raw({static_cast<const std::uint8_t*>(p), N});
  }
  // Moves what the buffer holds into a Hasher, which takes every later field.
  void spill() {
    if (spilled_) return;
    spilled_.emplace();
    spilled_->update({buf_, size_});
  }

  std::uint8_t buf_[kCapacity];
  std::size_t size_ = 0;
  std::optional<Hasher> spilled_;
};

}  // namespace knhk::smr
