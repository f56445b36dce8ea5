// Digests read as 256-bit little-endian integers, added and subtracted modulo 2^256: the
// AdHash-style sums of the client-table and kv state hashes (state_machine.hpp).
//
// Inline: an executed request adds its reply element and, once its client's window is
// full, subtracts the evicted one, and a kv write subtracts and adds an entry element, so
// these run about four times per request at every replica; as out-of-line calls each cost
// its call and the Digest copies through memory on top of the eight limb operations.
#pragma once

#include <cstdint>

#include "protocols/common/digest.hpp"
#include "protocols/common/endian.hpp"

namespace knhk::smr {
namespace digest_sum_detail {
inline std::uint64_t load_limb(const Digest& d, std::size_t i) {
  return load_le64(d.bytes.data() + 8 * i);
}
inline void store_limb(Digest& d, std::size_t i, std::uint64_t v) {
  store_le64(d.bytes.data() + 8 * i, v);
}
}  // namespace digest_sum_detail

// Four 64-bit limbs with carries (a byte loop was a visible cost).
inline Digest digest_add(const Digest& a, const Digest& b) {
  using namespace digest_sum_detail;
  Digest out;
  std::uint64_t carry = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::uint64_t x = load_limb(a, i), y = load_limb(b, i);
    const std::uint64_t s = x + y;
    const std::uint64_t t = s + carry;
    carry = static_cast<std::uint64_t>(s < x) | static_cast<std::uint64_t>(t < s);
    store_limb(out, i, t);
  }
  return out;
}

inline Digest digest_sub(const Digest& a, const Digest& b) {
  using namespace digest_sum_detail;
  Digest out;
  std::uint64_t borrow = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::uint64_t x = load_limb(a, i), y = load_limb(b, i);
    const std::uint64_t d = x - y;
    const std::uint64_t t = d - borrow;
    borrow = static_cast<std::uint64_t>(x < y) | static_cast<std::uint64_t>(d < borrow);
    store_limb(out, i, t);
  }
  return out;
}

}  // namespace knhk::smr
