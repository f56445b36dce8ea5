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
  void u8(std::uint8_t v) { raw({&v, 1}); }
  void u32(std::uint32_t v) { put_le(v, 4); }
  void u64(std::uint64_t v) { put_le(v, 8); }
  void digest(const Digest& d) { raw(d.bytes); }

  Digest finish() {
    if (!spilled_) return blake2b({buf_, size_});
    return spilled_->finish();
  }

 private:
  static constexpr std::size_t kCapacity = 256;

  void put_le(std::uint64_t v, int width) {
    std::uint8_t le[8];
    for (int i = 0; i < width; ++i) le[i] = static_cast<std::uint8_t>(v >> (8 * i));
    raw({le, static_cast<std::size_t>(width)});
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
