// Batched UDP system calls: recvmmsg(2) reads every queued datagram of a burst in a few
// calls, sendmmsg(2) sends everything one flush produced in a few calls. On loopback the
// per-datagram system call was a large share of a node's CPU (docs/real-nodes.md); the
// kernel's own per-datagram work remains. Buffers are allocated once and reused.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

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
  // Queues one datagram; nothing is sent before flush().
  void queue(Bytes datagram, const boost::asio::ip::udp::endpoint& to);
  bool empty() const { return datagrams_.empty(); }
  std::size_t size() const { return datagrams_.size(); }
  // Sends every queued datagram (IPv4 destinations), in order. Returns how many the
  // kernel refused (buffer full, unreachable); UDP may lose them anyway.
  std::size_t flush(int fd);

 private:
  std::vector<Bytes> datagrams_;
  std::vector<sockaddr_in> addresses_;
  std::vector<iovec> iovecs_;
  std::vector<mmsghdr> headers_;
};

}  // namespace knhk::net
