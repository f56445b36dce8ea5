// Fixed byte order for values that become bytes others compare or hash: sim MACs and
// signatures, trace words, digest sums, snapshot and kv fields. Little-endian on every
// host, so a run's digests do not depend on the machine's byte order; on a little-endian
// host each load or store is one instruction (a copy of constant size).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace knhk {

// The low `Width` bytes of `v`, least significant first.
template <std::size_t Width>
inline void store_le(std::uint8_t* out, std::uint64_t v) {
  static_assert(Width >= 1 && Width <= 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  std::memcpy(out, &v, Width);
}
inline void store_le32(std::uint8_t* out, std::uint32_t v) {
  store_le<4>(out, v);
}
inline void store_le64(std::uint8_t* out, std::uint64_t v) {
  store_le<8>(out, v);
}

inline std::uint32_t load_le32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}
inline std::uint64_t load_le64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

}  // namespace knhk
