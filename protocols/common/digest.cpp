#include "protocols/common/digest.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace knhk {
namespace {

void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

static_assert(sizeof(crypto_generichash_state) <= 384);

std::string hex_of_first(const std::array<std::uint8_t, 32>& bytes, std::size_t count) {
  static const char* digits = "0123456789abcdef";
  std::string out(2 * count, '0');
  for (std::size_t i = 0; i < count; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace

bool Digest::is_zero() const {
  for (auto b : bytes)
    if (b != 0) return false;
  return true;
}

std::string Digest::hex() const {
  return hex_of_first(bytes, bytes.size());
}

std::string Digest::short_hex() const {
  return hex_of_first(bytes, 6);
}

std::uint64_t Digest::prefix64() const {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | bytes[static_cast<std::size_t>(i)];
  return v;
}

Digest blake2b(std::span<const std::uint8_t> data) {
  ensure_sodium();
  Digest d;
  crypto_generichash(d.bytes.data(), d.bytes.size(), data.data(), data.size(), nullptr, 0);
  return d;
}

Digest blake2b(const std::string& data) {
  return blake2b(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

Hasher::Hasher() {
  ensure_sodium();
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(state_), nullptr, 0, 32);
}

Hasher::~Hasher() {
  sodium_memzero(state_, sizeof state_);
}

void Hasher::update(std::span<const std::uint8_t> data) {
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_), data.data(),
                            data.size());
}

void Hasher::update(const std::string& s) {
  update(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

void Hasher::update_u64(std::uint64_t v) {
  std::uint8_t buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<std::uint8_t>(v >> (8 * i));
  update(std::span(buf, 8));
}

Digest Hasher::finish() {
  Digest d;
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state_), d.bytes.data(),
                           d.bytes.size());
  return d;
}

}  // namespace knhk
