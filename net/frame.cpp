#include "net/frame.hpp"

namespace knhk::net {
namespace {

void put_le(std::uint8_t* out, std::uint64_t v, int width) {
  for (int i = 0; i < width; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint64_t get_le(const std::uint8_t* in, int width) {
  std::uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}

}  // namespace

std::size_t fragment_chunk_bytes(std::uint32_t total_length, std::uint16_t fragment_count) {
  return (std::size_t{total_length} + fragment_count - 1) / fragment_count;
}

std::size_t expected_fragment_bytes(const FrameHeader& h) {
  std::size_t chunk = fragment_chunk_bytes(h.total_length, h.fragment_count);
  std::size_t before_last = chunk * (h.fragment_count - 1u);
  if (before_last > h.total_length) return SIZE_MAX;  // no sender splits this way
  if (h.fragment_index + 1u < h.fragment_count) return chunk;
  return h.total_length - before_last;
}

void write_header(const FrameHeader& h, std::uint8_t* out) {
  put_le(out + 0, kFrameMagic, 4);
  out[4] = kWireVersion;
  out[5] = static_cast<std::uint8_t>(h.sender.kind);
  put_le(out + 6, h.sender.id, 4);
  out[10] = static_cast<std::uint8_t>(h.receiver.kind);
  put_le(out + 11, h.receiver.id, 4);
  put_le(out + 15, h.message_id, 8);
  put_le(out + 23, h.fragment_index, 2);
  put_le(out + 25, h.fragment_count, 2);
  put_le(out + 27, h.total_length, 4);
}

std::size_t declared_frame_bytes(std::span<const std::uint8_t> d) {
  if (d.size() < kHeaderBytes + kTagBytes) return 0;
  const std::uint8_t* p = d.data();
  if (get_le(p, 4) != kFrameMagic || p[4] != kWireVersion) return 0;
  FrameHeader h;
  h.fragment_index = static_cast<std::uint16_t>(get_le(p + 23, 2));
  h.fragment_count = static_cast<std::uint16_t>(get_le(p + 25, 2));
  h.total_length = static_cast<std::uint32_t>(get_le(p + 27, 4));
  if (h.fragment_count == 0 || h.fragment_index >= h.fragment_count ||
      h.total_length > kMaxNetMessageBytes)
    return 0;
  std::size_t fragment = expected_fragment_bytes(h);
  if (fragment > kMaxNetMessageBytes) return 0;  // an impossible split (SIZE_MAX)
  return kHeaderBytes + fragment + kTagBytes;
}

FrameResult parse_frame(std::span<const std::uint8_t> d, std::size_t max_datagram_bytes) {
  FrameResult r;
  if (d.size() > max_datagram_bytes) {
    r.reason = DropReason::oversized;
    return r;
  }
  if (d.size() < kHeaderBytes + kTagBytes) {
    r.reason = DropReason::truncated;
    return r;
  }
  const std::uint8_t* p = d.data();
  if (get_le(p, 4) != kFrameMagic) {
    r.reason = DropReason::bad_magic;
    return r;
  }
  if (p[4] != kWireVersion) {
    r.reason = DropReason::bad_version;
    return r;
  }
  FrameHeader h;
  if (p[5] > 1 || p[10] > 1) {
    r.reason = DropReason::bad_header;
    return r;
  }
  h.sender.kind = static_cast<Principal::Kind>(p[5]);
  h.sender.id = static_cast<std::uint32_t>(get_le(p + 6, 4));
  h.receiver.kind = static_cast<Principal::Kind>(p[10]);
  h.receiver.id = static_cast<std::uint32_t>(get_le(p + 11, 4));
  h.message_id = get_le(p + 15, 8);
  h.fragment_index = static_cast<std::uint16_t>(get_le(p + 23, 2));
  h.fragment_count = static_cast<std::uint16_t>(get_le(p + 25, 2));
  h.total_length = static_cast<std::uint32_t>(get_le(p + 27, 4));
  std::size_t fragment_bytes = d.size() - kHeaderBytes - kTagBytes;
  bool numbering_ok = h.fragment_count >= 1 && h.fragment_index < h.fragment_count;
  bool length_ok = h.total_length <= kMaxNetMessageBytes && numbering_ok &&
                   fragment_bytes == expected_fragment_bytes(h);
  if (!numbering_ok || !length_ok) {
    r.reason = DropReason::bad_header;
    return r;
  }
  ParsedFrame f;
  f.header = h;
  f.authenticated = d.first(d.size() - kTagBytes);
  f.fragment = d.subspan(kHeaderBytes, fragment_bytes);
  f.tag = d.last(kTagBytes);
  r.frame = f;
  return r;
}

}  // namespace knhk::net
