#include "net/wire.hpp"

#include <sodium.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

namespace knhk::net {
namespace {

// A restarted process must continue above the ids of its previous life: peers refuse
// ids they delivered or that are older than their replay window (replay_window.hpp).
// The wall clock in µs × 4096 leaves room for 4096 messages per µs of uptime, and the
// random low bits keep two processes started in the same µs apart.
std::uint64_t first_message_id() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return (static_cast<std::uint64_t>(us.count()) << 12) | (randombytes_random() & 0xFFF);
}

WireConfig checked(WireConfig c) {
  // The CLI and the cluster file reject bad limits with a message (parse_max_datagram);
  // this is the last line against a programming error (size arithmetic below it).
  if (c.max_datagram_bytes < kMinDatagramBytes || c.max_datagram_bytes > kMaxDatagramBytes)
    throw std::invalid_argument(
        "WireConfig::max_datagram_bytes " + std::to_string(c.max_datagram_bytes) + " outside " +
        std::to_string(kMinDatagramBytes) + ".." + std::to_string(kMaxDatagramBytes));
  return c;
}

}  // namespace

Wire::Wire(LinkKeys keys, WireConfig config)
    : keys_(std::move(keys)),
      config_(checked(config)),
      next_message_id_(first_message_id()),
      from_replicas_(config.replica_limits),
      from_clients_(config.client_limits) {}

std::size_t Wire::max_payload_bytes() const {
  return config_.max_datagram_bytes - kHeaderBytes - kTagBytes;
}

std::size_t Wire::reassembly_bytes() const {
  return from_replicas_.buffered_bytes() + from_clients_.buffered_bytes();
}

bool Wire::seal(Principal to, std::span<const std::uint8_t> encoded, std::vector<Bytes>& out) {
  return seal(to, next_message_id(), encoded, out);
}

bool Wire::seal(Principal to, std::uint64_t message_id, std::span<const std::uint8_t> encoded,
                std::vector<Bytes>& out) {
  const LinkKey* key = keys_.key_for(to);
  if (!key || encoded.size() > kMaxNetMessageBytes) return false;
  std::size_t payload = max_payload_bytes();
  std::size_t count = encoded.empty() ? 1 : (encoded.size() + payload - 1) / payload;
  if (count > kMaxFragments) return false;  // cannot happen above kMinDatagramBytes
  FrameHeader h;
  h.sender = keys_.self();
  h.receiver = to;
  h.message_id = message_id;
  h.fragment_count = static_cast<std::uint16_t>(count);
  h.total_length = static_cast<std::uint32_t>(encoded.size());
  std::size_t chunk = fragment_chunk_bytes(h.total_length, h.fragment_count);
  for (std::size_t i = 0; i < count; ++i) {
    h.fragment_index = static_cast<std::uint16_t>(i);
    std::size_t size = expected_fragment_bytes(h);
    Bytes d(kHeaderBytes + size + kTagBytes);
    write_header(h, d.data());
    if (size > 0) std::memcpy(d.data() + kHeaderBytes, encoded.data() + i * chunk, size);
    AuthTag tag = compute_tag(*key, std::span(d).first(kHeaderBytes + size));
    std::memcpy(d.data() + kHeaderBytes + size, tag.data(), tag.size());
    out.push_back(std::move(d));
  }
  return true;
}

std::optional<Received> Wire::open(std::span<const std::uint8_t> datagram, Time now) {
  // Any frame up to the protocol maximum: a peer may send larger datagrams than we do.
  FrameResult parsed = parse_frame(datagram, kMaxDatagramBytes);
  if (!parsed.frame) {
    drops_.add(parsed.reason);
    return std::nullopt;
  }
  const ParsedFrame& f = *parsed.frame;
  if (f.header.receiver != keys_.self()) {
    drops_.add(DropReason::wrong_receiver);
    return std::nullopt;
  }
  if (f.header.sender == keys_.self()) {  // our own identity: a reflection or a forgery
    drops_.add(DropReason::unknown_sender);
    return std::nullopt;
  }
  const LinkKey* key = keys_.key_for(f.header.sender);
  if (!key) {
    drops_.add(DropReason::unknown_sender);
    return std::nullopt;
  }
  if (!verify_tag(*key, f.authenticated, f.tag)) {
    drops_.add(DropReason::bad_auth);
    return std::nullopt;
  }
  // Authentic but perhaps captured and sent again: each message id is delivered once.
  if (!replay_.fresh(f.header.sender, f.header.message_id)) {
    drops_.add(DropReason::replayed);
    return std::nullopt;
  }
  // A message in one frame (nearly all of them) is decoded straight from the datagram;
  // only fragments go through reassembly and its copy.
  std::optional<Bytes> whole;
  if (f.header.fragment_count != 1) {
    Reassembler& r =
        f.header.sender.kind == Principal::Kind::client ? from_clients_ : from_replicas_;
    whole = r.add(f.header, f.fragment, now, drops_);
    if (!whole) return std::nullopt;
  }
  replay_.mark(f.header.sender, f.header.message_id);  // complete: later copies are replays
  Decoded<Message> decoded =
      decode_message(whole ? std::span<const std::uint8_t>(*whole) : f.fragment);
  if (!decoded) {
    drops_.add(DropReason::decode_failed);
    return std::nullopt;
  }
  if (auto reason = admission_check(keys_.self(), f.header.sender, *decoded.value)) {
    drops_.add(*reason);
    return std::nullopt;
  }
  return Received{f.header.sender, std::move(*decoded.value)};
}

std::uint64_t Wire::forgery_drops() const {
  std::uint64_t n = 0;
  for (DropReason r : {DropReason::truncated, DropReason::oversized, DropReason::bad_magic,
                       DropReason::bad_version, DropReason::bad_header, DropReason::wrong_receiver,
                       DropReason::unknown_sender, DropReason::bad_auth})
    n += drops_[r];
  return n;
}

void Wire::expire(Time now) {
  from_replicas_.expire(now, drops_);
  from_clients_.expire(now, drops_);
}

std::optional<DropReason> admission_check(Principal self, Principal from, const Message& m) {
  bool self_is_replica = self.kind == Principal::Kind::replica;
  if (from.kind == Principal::Kind::client) {
    if (!self_is_replica) return DropReason::unexpected_message;
    const auto* request = std::get_if<Request>(&m.body);
    if (!request) return DropReason::unexpected_message;
    if (request->client.value != from.id) return DropReason::principal_mismatch;
    return std::nullopt;
  }
  if (self_is_replica) return std::nullopt;
  const auto* reply = std::get_if<Reply>(&m.body);
  if (!reply) return DropReason::unexpected_message;
  if (reply->replica.value != from.id || reply->client.value != self.id)
    return DropReason::principal_mismatch;
  return std::nullopt;
}

}  // namespace knhk::net
