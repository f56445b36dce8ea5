// Anti-replay for authenticated datagrams: a sliding window over each sender's message
// ids, as IPsec's (RFC 4303 §3.4.3). A datagram's tag proves who sent it, not when; a
// captured datagram sent again would pass the tag check. Every sender numbers its
// messages with increasing ids (Wire), so the receiver delivers each id at most once
// and refuses ids older than the window. Ids start from the sender's wall clock, so a
// restarted sender continues above the ids of its previous life.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "protocols/common/types.hpp"

namespace knhk::net {

class ReplayWindow {
 public:
  // Ids this far below the newest one delivered are refused even if never seen. Wide
  // enough for UDP reordering and for fragments of one message interleaved with others.
  static constexpr std::uint64_t kWidth = 4096;

  // Whether a datagram with message id `id` may still be accepted.
  bool fresh(std::uint64_t id) const;
  // Records `id` as delivered; slides the window if it is the newest.
  void mark(std::uint64_t id);
  std::uint64_t highest() const { return highest_; }

 private:
  static constexpr std::uint64_t kWords = kWidth / 64;
  bool seen(std::uint64_t id) const { return (seen_[(id / 64) % kWords] >> (id % 64)) & 1; }
  // Clears the bits of ids first..last (inclusive, last - first < kWidth): whole words
  // at a time, since a peer that also talks to others skips hundreds of ids at once
  // (one id counter per sender), and a bit-by-bit loop cost the client 15 % of its CPU.
  void clear_range(std::uint64_t first, std::uint64_t last);

  bool any_ = false;
  std::uint64_t highest_ = 0;
  // Bit id % kWidth, for ids in (highest_ - kWidth, highest_].
  std::array<std::uint64_t, kWords> seen_{};
};

// One window per authenticated sender (bounded by the cluster file). The senders are a
// sorted flat array searched apart from the windows: a load client holds hundreds of
// guards of four windows each, and a std::map's scattered nodes made each lookup a few
// cache misses (~5 % of the client's CPU).
class ReplayGuard {
 public:
  bool fresh(Principal sender, std::uint64_t id) const;
  void mark(Principal sender, std::uint64_t id);

 private:
  std::vector<Principal> senders_;     // sorted
  std::vector<ReplayWindow> windows_;  // windows_[i] belongs to senders_[i]
};

}  // namespace knhk::net
