// Why the UDP transport dropped something. Every drop is counted by reason, so an
// operator (and the tests) can see garbage arriving without the node ever acting on it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace knhk::net {

enum class DropReason : std::uint8_t {
  truncated,            // shorter than header + tag
  oversized,            // longer than the datagram limit
  bad_magic,            // not a knhk datagram
  bad_version,          // a knhk datagram of another wire version
  bad_header,           // fragment index/count or total length inconsistent
  wrong_receiver,       // addressed to another principal
  unknown_sender,       // sender principal not in the cluster file
  bad_auth,             // authentication tag does not verify
  decode_failed,        // reassembled bytes are not a valid knhk::Message
  reassembly_conflict,  // a fragment disagrees with earlier fragments of its message
  reassembly_evicted,   // a partial message pushed out by the per-sender limit
  reassembly_timeout,   // a partial message that never completed
  principal_mismatch,   // a client datagram carrying another client's request
  unexpected_message,   // a message type this principal may not send to us
  unknown_destination,  // a reply for a client whose address we never learnt
  send_failed,          // the socket refused the datagram (buffer full, unreachable)
  replayed,             // a message id already delivered, or older than the replay window
};

inline constexpr std::size_t kDropReasonCount = 17;

constexpr std::string_view to_string(DropReason r) {
  constexpr std::array<std::string_view, kDropReasonCount> names = {"truncated",
                                                                    "oversized",
                                                                    "bad_magic",
                                                                    "bad_version",
                                                                    "bad_header",
                                                                    "wrong_receiver",
                                                                    "unknown_sender",
                                                                    "bad_auth",
                                                                    "decode_failed",
                                                                    "reassembly_conflict",
                                                                    "reassembly_evicted",
                                                                    "reassembly_timeout",
                                                                    "principal_mismatch",
                                                                    "unexpected_message",
                                                                    "unknown_destination",
                                                                    "send_failed",
                                                                    "replayed"};
  return names[static_cast<std::size_t>(r)];
}

// Counters indexed by reason; plain integers because the host is single-threaded.
struct DropCounters {
  std::array<std::uint64_t, kDropReasonCount> count{};

  void add(DropReason r, std::uint64_t k = 1) { count[static_cast<std::size_t>(r)] += k; }
  std::uint64_t operator[](DropReason r) const { return count[static_cast<std::size_t>(r)]; }
  std::uint64_t total() const {
    std::uint64_t t = 0;
    for (auto c : count) t += c;
    return t;
  }
};

}  // namespace knhk::net
