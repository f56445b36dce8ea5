// Batched UDP system calls: recvmmsg(2) reads every queued datagram of a burst in a few
// calls, sendmmsg(2) sends everything one flush produced in a few calls, and the frames
// of one flush that go to the same address share datagrams (a datagram carries frames
// back to back, frame.hpp for_each_frame) — e.g. the replies of a whole batch to one
// client process. On loopback the kernel's per-datagram work was the largest share of
// a node's CPU (docs/real-nodes.md). Receive buffers are allocated once and reused.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "net/frame.hpp"
#include "protocols/common/types.hpp"

namespace knhk::net {

class BatchReceiver {
 public:
  using Handler =
      std::function<void(std::span<const std::uint8_t>, const boost::asio::ip::udp::endpoint&)>;
  explicit BatchReceiver(std::size_t slots = 32, std::size_t slot_bytes = 65536);
  // Reads up to `max_datagrams` already-queued datagrams from the non-blocking socket
  // `fd` and calls `on` for each. Returns how many were read.
  std::size_t drain(int fd, std::size_t max_datagrams, const Handler& on);

 private:
  std::size_t slot_bytes_;
  std::vector<std::uint8_t> storage_;
  std::vector<sockaddr_in> addresses_;
  std::vector<iovec> iovecs_;
  std::vector<mmsghdr> headers_;
};

class BatchSender {
 public:
  // `max_datagram_bytes` is the sending process's limit (WireConfig::max_datagram_bytes):
  // frames share a datagram only while the sum stays within it.
  explicit BatchSender(std::size_t max_datagram_bytes = kMaxDatagramBytes)
      : max_bytes_(max_datagram_bytes) {}
  // Queues one frame (a Wire with the same limit never seals a longer one; a longer one
  // would go alone, never joined to others); nothing is sent before flush(). Frames to
  // one address keep their order.
  void queue(Bytes frame, const boost::asio::ip::udp::endpoint& to);
  bool empty() const { return datagrams_.empty(); }
  std::size_t size() const { return datagrams_.size(); }  // datagrams, not frames
  std::size_t max_datagram_bytes() const { return max_bytes_; }
  // The longest datagram flush() has handed to the kernel (knhk_datagram_bytes_max).
  std::size_t largest_sent() const { return largest_sent_; }
  // Sends every queued datagram (IPv4 destinations). Returns how many the kernel refused
  // (buffer full, unreachable); UDP may lose them anyway.
  std::size_t flush(int fd);

 private:
  std::size_t max_bytes_;
  std::size_t largest_sent_ = 0;
  std::vector<Bytes> datagrams_;
  std::vector<sockaddr_in> addresses_;
  // The datagram still being filled for each address (IPv4 address, port).
  std::map<std::pair<std::uint32_t, std::uint16_t>, std::size_t> filling_;
  std::vector<iovec> iovecs_;
  std::vector<mmsghdr> headers_;
};

}  // namespace knhk::net
