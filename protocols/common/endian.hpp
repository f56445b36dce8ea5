// Fixed byte order for values that become bytes others compare or hash: a sim MAC or
// signature, a trace word. Little-endian on every host, so a run's digests do not depend on
// the machine's byte order; on a little-endian host each store is one instruction.
#pragma once

#include <cstdint>

namespace knhk {

inline void store_le64(std::uint8_t* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

}  // namespace knhk
