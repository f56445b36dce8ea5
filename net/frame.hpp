// The datagram frame: a fixed header, one fragment of an encoded knhk::Message, and a
// 32-byte authentication tag over header + fragment.
//
//   offset size field
//   0      4    magic "KNHK" (0x4B484E4B little-endian)
//   4      1    wire version (2: keyed-BLAKE2b tags; 1 used HMAC-SHA512-256)
//   5      1    sender kind (0 replica, 1 client)
//   6      4    sender id
//   10     1    receiver kind
//   11     4    receiver id (a client process may hold several client identities)
//   15     8    message id (per sender, increasing)
//   23     2    fragment index
//   25     2    fragment count (>= 1)
//   27     4    total length of the encoded message
//   31     ...  fragment bytes
//   end-32 32   tag: keyed BLAKE2b-256 under the sender/receiver pair key
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/drop_reason.hpp"
#include "protocols/common/types.hpp"

namespace knhk::net {

inline constexpr std::uint32_t kFrameMagic = 0x4B484E4B;
inline constexpr std::uint8_t kWireVersion = 2;
inline constexpr std::size_t kHeaderBytes = 31;
inline constexpr std::size_t kTagBytes = 32;
// IPv4 UDP payload limit is 65507; stay below it with room to spare. The largest datagram
// a receiver accepts, whatever it sends itself, and the default send limit: fine on
// loopback, IP-fragmented on a 1,500-byte-MTU network (max_datagram in the cluster file
// or --max-datagram lowers the send limit, docs/real-nodes.md).
inline constexpr std::size_t kMaxDatagramBytes = 65000;
// Largest message the transport reassembles (state transfer snapshots included).
inline constexpr std::uint32_t kMaxNetMessageBytes = 16u << 20;
// The header counts fragments in 16 bits.
inline constexpr std::size_t kMaxFragments = 0xFFFF;
// The smallest send limit: a header, a tag, and enough payload per fragment that the
// largest message still fits in kMaxFragments fragments (257 bytes: 320 in all). A lower
// limit would let a node start and then fail every state transfer above 64 KiB.
inline constexpr std::size_t kMinFragmentPayloadBytes =
    (kMaxNetMessageBytes + kMaxFragments - 1) / kMaxFragments;
inline constexpr std::size_t kMinDatagramBytes =
    kHeaderBytes + kTagBytes + kMinFragmentPayloadBytes;
static_assert(kMinDatagramBytes == 320);

struct FrameHeader {
  Principal sender;
  Principal receiver;
  std::uint64_t message_id = 0;
  std::uint16_t fragment_index = 0;
  std::uint16_t fragment_count = 1;
  std::uint32_t total_length = 0;
};

void write_header(const FrameHeader& h, std::uint8_t* out);

// Fragments of one message: every fragment but the last carries ceil(total / count)
// bytes, the last the rest. Both sides compute sizes the same way, so a fragment's
// offset is index * chunk and a size that disagrees is a malformed header.
std::size_t fragment_chunk_bytes(std::uint32_t total_length, std::uint16_t fragment_count);
std::size_t expected_fragment_bytes(const FrameHeader& h);

// A header parsed from untrusted bytes, with the fragment it frames and the tag.
struct ParsedFrame {
  FrameHeader header;
  std::span<const std::uint8_t> authenticated;  // header + fragment: what the tag covers
  std::span<const std::uint8_t> fragment;
  std::span<const std::uint8_t> tag;
};

// Checks framing only (sizes, magic, version, fragment numbering); the tag is checked
// by the caller once it knows the sender's key. Never reads outside `datagram`.
struct FrameResult {
  std::optional<ParsedFrame> frame;
  DropReason reason = DropReason::truncated;  // meaningful only when !frame
};
FrameResult parse_frame(std::span<const std::uint8_t> datagram, std::size_t max_datagram_bytes);

// A datagram may carry several frames back to back (BatchSender coalesces the frames of
// one flush that go to the same address): calls `on` for each frame in order. A frame
// whose header cannot say its own length ends the split: the rest goes to `on` whole,
// so parse_frame counts it once under its drop reason.
template <class F>
void for_each_frame(std::span<const std::uint8_t> datagram, F&& on);
std::size_t declared_frame_bytes(std::span<const std::uint8_t> data);  // 0: cannot tell

template <class F>
void for_each_frame(std::span<const std::uint8_t> datagram, F&& on) {
  for (;;) {  // an empty datagram too is handed over once (and counted as truncated)
    std::size_t n = declared_frame_bytes(datagram);
    if (n == 0 || n >= datagram.size()) return on(datagram);
    on(datagram.first(n));
    datagram = datagram.subspan(n);
  }
}

}  // namespace knhk::net
