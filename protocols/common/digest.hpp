// BLAKE2b-256 digests (libsodium's crypto_generichash).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "protocols/common/types.hpp"

namespace knhk {

struct Digest {
  std::array<std::uint8_t, 32> bytes{};

  auto operator<=>(const Digest&) const = default;
  bool is_zero() const;
  std::string hex() const;
  // The first 12 hex digits (6 bytes): short enough for the string's inline buffer, so
  // no allocation (the simulator labels every commit with it).
  std::string short_hex() const;
  // First 8 bytes, little-endian: a cheap key for hash maps and the sim signature scheme.
  std::uint64_t prefix64() const;
};

Digest blake2b(std::span<const std::uint8_t> data);
Digest blake2b(const std::string& data);

// Incremental hashing, used for trace digests and state hashes.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void update(std::span<const std::uint8_t> data);
  void update(const std::string& s);
  void update_u64(std::uint64_t v);
  Digest finish();

 private:
  alignas(64) unsigned char state_[384];
};

}  // namespace knhk
