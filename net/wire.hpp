// Turns messages into authenticated datagrams and datagrams back into messages: the
// whole receive path for untrusted bytes (framing, sender lookup, tag, reassembly,
// decoding), independent of sockets so that tests and fuzzers drive it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "net/drop_reason.hpp"
#include "net/frame.hpp"
#include "net/link_keys.hpp"
#include "net/reassembly.hpp"
#include "net/replay_window.hpp"
#include "protocols/message.hpp"

namespace knhk::net {

struct WireConfig {
  // The largest datagram seal() produces (kMinDatagramBytes .. kMaxDatagramBytes; the
  // constructor throws std::invalid_argument otherwise). open() accepts frames up to
  // kMaxDatagramBytes whatever this is, so peers configured differently interoperate.
  std::size_t max_datagram_bytes = kMaxDatagramBytes;
  ReassemblyLimits replica_limits{};
  // Clients only ever send requests: little room for their partial messages.
  ReassemblyLimits client_limits{2, 1u << 20, Duration::secs(2)};
};

struct Received {
  Principal from;
  Message message;
};

class Wire {
 public:
  Wire(LinkKeys keys, WireConfig config = {});

  Principal self() const { return keys_.self(); }
  bool knows(Principal p) const { return keys_.knows(p); }
  // Derives the link keys of every peer of `kind` ahead of its first datagram.
  void derive_keys(Principal::Kind kind) { keys_.derive(kind); }

  // Splits an encoded message into datagrams for `to`, each tagged with the pair key and
  // at most config.max_datagram_bytes long. Every datagram of one call shares a fresh
  // message id. Returns false for an unknown peer or a message over kMaxNetMessageBytes.
  bool seal(Principal to, std::span<const std::uint8_t> encoded, std::vector<Bytes>& out);
  // For a broadcast: one message id, sealed separately for each receiver.
  std::uint64_t next_message_id() { return next_message_id_++; }
  bool seal(Principal to, std::uint64_t message_id, std::span<const std::uint8_t> encoded,
            std::vector<Bytes>& out);

  // Processes one datagram from the network. Returns a message once complete and valid;
  // otherwise nothing (waiting for fragments, or dropped and counted).
  std::optional<Received> open(std::span<const std::uint8_t> datagram, Time now);
  // Opens every frame of a datagram in order (frame.hpp for_each_frame) and hands each
  // complete message to `on`. Stops at the first frame that fails a check no honest
  // sender fails (framing, receiver, sender, tag): the rest of a forged datagram is not
  // looked at, so packing many small frames buys an attacker no extra tag checks.
  template <class F>
  void open_all(std::span<const std::uint8_t> datagram, Time now, F&& on);
  void expire(Time now);

  const DropCounters& drops() const { return drops_; }
  DropCounters& drops() { return drops_; }
  std::size_t max_payload_bytes() const;  // fragment bytes per sent datagram
  std::size_t max_datagram_bytes() const { return config_.max_datagram_bytes; }
  std::size_t reassembly_bytes() const;

 private:
  std::uint64_t forgery_drops() const;

  LinkKeys keys_;
  WireConfig config_;
  std::uint64_t next_message_id_;
  Reassembler from_replicas_;
  Reassembler from_clients_;
  ReplayGuard replay_;
  DropCounters drops_;
};

template <class F>
void Wire::open_all(std::span<const std::uint8_t> datagram, Time now, F&& on) {
  bool forged = false;
  for_each_frame(datagram, [&](std::span<const std::uint8_t> frame) {
    if (forged) return;
    std::uint64_t before = forgery_drops();
    if (auto r = open(frame, now)) on(std::move(*r));
    forged = forgery_drops() != before;
  });
}

// What a principal may send to us: clients send their own requests to replicas, replicas
// send anything to replicas and replies to clients. Returns the reason to drop, if any.
std::optional<DropReason> admission_check(Principal self, Principal from, const Message& m);

}  // namespace knhk::net
