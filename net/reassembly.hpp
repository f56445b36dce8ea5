// Reassembles messages split over several datagrams, with bounded memory: per sender at
// most `max_partials` incomplete messages and `max_bytes` buffered; a partial message
// older than `timeout` is discarded. Only authenticated fragments reach this stage, so
// the number of senders is bounded by the cluster file.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "net/drop_reason.hpp"
#include "net/frame.hpp"
#include "protocols/common/types.hpp"

namespace knhk::net {

struct ReassemblyLimits {
  std::size_t max_partials = 8;
  std::size_t max_bytes = 32u << 20;
  Duration timeout = Duration::secs(2);
};

class Reassembler {
 public:
  explicit Reassembler(ReassemblyLimits limits = {}) : limits_(limits) {}

  // Adds one authenticated fragment (its header already validated by parse_frame).
  // Returns the whole message once its last missing fragment arrives.
  std::optional<Bytes> add(const FrameHeader& h, std::span<const std::uint8_t> fragment, Time now,
                           DropCounters& drops);
  // Discards partial messages older than the timeout.
  void expire(Time now, DropCounters& drops);

  std::size_t partial_messages() const;
  std::size_t buffered_bytes() const;

 private:
  struct Partial {
    Time first_seen;
    std::uint32_t total_length = 0;
    std::uint16_t fragment_count = 0;
    std::uint32_t received = 0;
    std::vector<bool> have;
    Bytes data;
  };
  struct SenderState {
    std::map<std::uint64_t, Partial> partials;  // by message id
    std::size_t bytes = 0;
    // Recently completed message ids: a late duplicate fragment must not reopen one.
    std::deque<std::uint64_t> completed;
  };
  static constexpr std::size_t kRememberCompleted = 64;
  Partial* find_or_open(SenderState& s, const FrameHeader& h, Time now, DropCounters& drops);
  void evict_oldest(SenderState& s, DropCounters& drops);

  ReassemblyLimits limits_;
  std::map<Principal, SenderState> senders_;
};

}  // namespace knhk::net
