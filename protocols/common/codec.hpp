// Canonical binary codec: fixed-width little-endian integers, u32 length prefixes,
// bounds-checked reads. One encoding per value: decoders reject trailing bytes,
// non-canonical booleans and lengths above their limits.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocols/common/digest.hpp"
#include "protocols/common/types.hpp"

namespace knhk {

// Upper bound on any encoded message; larger input is rejected before parsing.
inline constexpr std::size_t kMaxMessageBytes = 64u << 20;
// Default upper bound on the element count of any decoded sequence.
inline constexpr std::uint32_t kMaxSequenceLength = 1u << 20;

// Thrown inside decoders only; decode entry points catch it and return an error.
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Writer {
 public:
  // A counting writer keeps no bytes, only their number: encoded sizes (the simulator
  // measures every message it sends) and exact reservations cost no copy.
  enum class Mode { store, count };
  Writer() = default;
  explicit Writer(Mode mode) : counting_(mode == Mode::count) {}
  // Writes into the caller's `scratch` until it is full, then moves to the heap. For
  // bodies encoded only to be signed, MACed or hashed (see StackWriter): no allocation
  // per call and no buffer kept between calls.
  explicit Writer(std::span<std::uint8_t> scratch) : at_(scratch.data()), room_(scratch.size()) {}
  // Copies and moves keep their bytes on the heap: none shares the caller's scratch.
  Writer(const Writer& o) : counting_(o.counting_), counted_(o.counted_) { raw(o.view()); }
  Writer(Writer&& o) : counting_(o.counting_), counted_(o.counted_) {
    if (o.on_heap())
      swap(o);
    else
      raw(o.view());
  }
  Writer& operator=(Writer o) noexcept {
    swap(o);
    return *this;
  }
  void clear() {
    used_ = 0;
    counted_ = 0;
  }
  void reserve(std::size_t n) {
    if (!counting_ && room_ < n) grow_to(n);
  }
  // The bytes written so far (valid until the next write).
  std::span<const std::uint8_t> view() const { return {at_, used_}; }
  const Bytes& bytes() const {
    trim_to_used();
    return buf_;
  }
  Bytes take() {
    trim_to_used();
    at_ = nullptr;
    room_ = used_ = 0;
    return std::move(buf_);
  }
  std::size_t size() const { return counting_ ? counted_ : used_; }

  void u8(std::uint8_t v) { append(&v, 1); }
  void u16(std::uint16_t v) { put_le(v, 2); }
  void u32(std::uint32_t v) { put_le(v, 4); }
  void u64(std::uint64_t v) { put_le(v, 8); }
  void i64(std::int64_t v) { put_le(static_cast<std::uint64_t>(v), 8); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void raw(std::span<const std::uint8_t> data) { append(data.data(), data.size()); }
  void bytes(std::span<const std::uint8_t> data) {
    u32(static_cast<std::uint32_t>(data.size()));
    raw(data);
  }
  void string(const std::string& s) {
    bytes(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  }
  void digest(const Digest& d) { raw(d.bytes); }
  // Appends n bytes for the caller to fill and returns where they start (valid until
  // the next write), or nullptr for a counting writer, which only counts them. For
  // encoders with many small fields per record (a snapshot's reply caches).
  std::uint8_t* extend(std::size_t n) {
    if (counting_) {
      counted_ += n;
      return nullptr;
    }
    std::uint8_t* at = room_for(n);
    used_ += n;
    return at;
  }

 private:
  void put_le(std::uint64_t v, int width) {
    std::uint8_t le[8];
    for (int i = 0; i < width; ++i) le[i] = static_cast<std::uint8_t>(v >> (8 * i));
    append(le, static_cast<std::size_t>(width));
  }
  // One size check and one copy per field. The room is kept allocated ahead of `used_`:
  // growing a vector by resize() at every field zero-filled the field first and cost an
  // out-of-line call, which made encoding a quarter of the simulator's instructions
  // (callgrind, bench_pbft_bench).
  void append(const std::uint8_t* p, std::size_t n) {
    if (counting_) {
      counted_ += n;
      return;
    }
    std::uint8_t* at = room_for(n);
    if (n != 0) std::memcpy(at, p, n);
    used_ += n;
  }
  std::uint8_t* room_for(std::size_t n) {
    if (room_ - used_ < n) grow_to(std::max({used_ * 2, used_ + n, kFirstCapacity}));
    return at_ + used_;
  }
  bool on_heap() const { return at_ == buf_.data(); }
  // Moves the room to the heap (copying what the scratch holds) or enlarges it there. Kept
  // out of line: it runs once per doubling, and inlined into callers that call bytes()
  // twice it made GCC's -Wuse-after-free suspect a reallocation between the two calls.
  [[gnu::noinline]] void grow_to(std::size_t room) const {
    const bool from_scratch = !on_heap();
    buf_.resize(room);
    if (from_scratch && used_ != 0) std::memcpy(buf_.data(), at_, used_);
    at_ = buf_.data();
    room_ = buf_.size();
  }
  // bytes() and take() hand out the vector itself, sized to what was written (a writer on
  // scratch moves to the heap first).
  void trim_to_used() const {
    if (!on_heap()) grow_to(used_);
    buf_.resize(used_);
    room_ = used_;
  }
  void swap(Writer& o) noexcept {
    std::swap(buf_, o.buf_);
    std::swap(at_, o.at_);
    std::swap(room_, o.room_);
    std::swap(used_, o.used_);
    std::swap(counting_, o.counting_);
    std::swap(counted_, o.counted_);
  }
  // Most encodings are small messages: starting here skips the first few doublings.
  static constexpr std::size_t kFirstCapacity = 128;
  mutable Bytes buf_;                   // the heap room, once at_ points into it
  mutable std::uint8_t* at_ = nullptr;  // the room: buf_.data() or the caller's scratch
  mutable std::size_t room_ = 0;        // bytes at at_ that may be written
  std::size_t used_ = 0;                // bytes written
  bool counting_ = false;
  std::size_t counted_ = 0;
};

// A Writer whose first N bytes are its own (on the stack, for a local). A body encoded only
// to be signed, MACed or hashed then costs no allocation unless it outgrows N, and needs no
// buffer reused between calls: protocols/ keeps no thread-local state. The array is left
// uninitialised: only written bytes are read.
template <std::size_t N>
class StackWriter : public Writer {
 public:
  StackWriter() : Writer(std::span<std::uint8_t>(scratch_, N)) {}
  StackWriter(const StackWriter&) = delete;
  StackWriter& operator=(const StackWriter&) = delete;

 private:
  std::uint8_t scratch_[N];
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }
  void expect_end() const {
    if (!at_end()) throw DecodeError("trailing bytes");
  }

  std::uint8_t u8() { return static_cast<std::uint8_t>(get_le(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get_le(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get_le(4)); }
  std::uint64_t u64() { return get_le(8); }
  std::int64_t i64() { return static_cast<std::int64_t>(get_le(8)); }
  bool boolean() {
    auto v = u8();
    if (v > 1) throw DecodeError("non-canonical boolean");
    return v == 1;
  }
  std::span<const std::uint8_t> raw(std::size_t n) {
    need(n);
    auto out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  Bytes bytes(std::uint32_t max_len = kMaxMessageBytes) {
    auto n = u32();
    if (n > max_len) throw DecodeError("byte string too long");
    auto s = raw(n);
    return Bytes(s.begin(), s.end());
  }
  std::string string(std::uint32_t max_len = 1u << 16) {
    auto b = bytes(max_len);
    return std::string(b.begin(), b.end());
  }
  Digest digest() {
    Digest d;
    auto s = raw(d.bytes.size());
    std::memcpy(d.bytes.data(), s.data(), s.size());
    return d;
  }
  // Reads a sequence length and checks that `min_element_bytes` per element could
  // still follow, so a forged length cannot make the decoder allocate unboundedly.
  std::uint32_t length(std::size_t min_element_bytes, std::uint32_t max_len = kMaxSequenceLength) {
    auto n = u32();
    if (n > max_len) throw DecodeError("sequence too long");
    if (min_element_bytes > 0 && n > remaining() / min_element_bytes)
      throw DecodeError("sequence length exceeds input");
    return n;
  }

 private:
  void need(std::size_t n) const {
    if (n > remaining()) throw DecodeError("truncated input");
  }
  std::uint64_t get_le(int width) {
    need(static_cast<std::size_t>(width));
    std::uint64_t v = 0;
    for (int i = width - 1; i >= 0; --i) v = (v << 8) | data_[pos_ + static_cast<std::size_t>(i)];
    pos_ += static_cast<std::size_t>(width);
    return v;
  }
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

// A record's fixed-width fields gathered in a local buffer and handed to a Writer in one
// append. Each Writer append checks its room and, since the bytes it stores may alias the
// Writer itself, makes the compiler reload its state: per field that cost more than the
// field. For the small bodies encoded for every request, reply and vote. Same bytes as the
// Writer's own u8/u32/u64.
template <std::size_t N>
class FieldPack {
 public:
  void u8(std::uint8_t v) { put<1>(v); }
  void u32(std::uint32_t v) { put<4>(v); }
  void u64(std::uint64_t v) { put<8>(v); }
  template <class Tag, class Rep>
  void id(StrongId<Tag, Rep> v) {
    put<sizeof(Rep) == 8 ? 8 : 4>(v.value);
  }
  void digest(const Digest& d) {
    std::memcpy(buf_ + size_, d.bytes.data(), d.bytes.size());
    size_ += d.bytes.size();
  }
  std::span<const std::uint8_t> view() const { return {buf_, size_}; }
  void append_to(Writer& w) const { w.raw(view()); }

 private:
  // One store of constant width on a little-endian machine.
  template <std::size_t Width>
  void put(std::uint64_t v) {
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(buf_ + size_, &v, Width);
    } else {
      for (std::size_t i = 0; i < Width; ++i)
        buf_[size_ + i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
    size_ += Width;
  }
  std::uint8_t buf_[N];
  std::size_t size_ = 0;
};

// Helpers for strong types, so message codecs read as a list of fields.
template <class Tag, class Rep>
void put(Writer& w, StrongId<Tag, Rep> id) {
  if constexpr (sizeof(Rep) == 8)
    w.u64(id.value);
  else
    w.u32(id.value);
}
template <class Id>
Id get_id(Reader& r) {
  if constexpr (sizeof(typename Id::rep_type) == 8)
    return Id(r.u64());
  else
    return Id(r.u32());
}

// Result of decoding untrusted bytes: a value or the reason it was rejected.
template <class T>
struct Decoded {
  std::optional<T> value;
  std::string error;
  explicit operator bool() const { return value.has_value(); }
};

// Decodes all of `bytes` with `f` (a function of a Reader); nullopt on any decode error
// or trailing bytes. For small canonical payloads (operations, results, snapshots).
template <class F>
auto decode_all(std::span<const std::uint8_t> bytes, F&& f)
    -> std::optional<decltype(f(std::declval<Reader&>()))> {
  try {
    Reader r(bytes);
    auto v = f(r);
    r.expect_end();
    return v;
  } catch (const DecodeError&) {
    return std::nullopt;
  }
}

}  // namespace knhk
