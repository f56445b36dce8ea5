#include "net/datagram_io.hpp"

#include <arpa/inet.h>
#include <errno.h>

#include <algorithm>
#include <cstring>

namespace knhk::net {
namespace {

using boost::asio::ip::udp;

sockaddr_in to_sockaddr(const udp::endpoint& ep) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(ep.port());
  a.sin_addr.s_addr = htonl(ep.address().to_v4().to_uint());
  return a;
}

udp::endpoint from_sockaddr(const sockaddr_in& a) {
  return udp::endpoint(boost::asio::ip::address_v4(ntohl(a.sin_addr.s_addr)), ntohs(a.sin_port));
}

}  // namespace

BatchReceiver::BatchReceiver(std::size_t slots, std::size_t slot_bytes)
    : slot_bytes_(slot_bytes),
      storage_(slots * slot_bytes),
      addresses_(slots),
      iovecs_(slots),
      headers_(slots) {}

std::size_t BatchReceiver::drain(int fd, std::size_t max_datagrams, const Handler& on) {
  std::size_t total = 0;
  while (total < max_datagrams) {
    std::size_t want = std::min(headers_.size(), max_datagrams - total);
    for (std::size_t i = 0; i < want; ++i) {
      iovecs_[i] = {storage_.data() + i * slot_bytes_, slot_bytes_};
      headers_[i] = {};
      headers_[i].msg_hdr.msg_name = &addresses_[i];
      headers_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      headers_[i].msg_hdr.msg_iov = &iovecs_[i];
      headers_[i].msg_hdr.msg_iovlen = 1;
    }
    int n = ::recvmmsg(fd, headers_.data(), static_cast<unsigned>(want), MSG_DONTWAIT, nullptr);
    if (n <= 0) break;  // EAGAIN: nothing queued; other errors: try again next wake-up
    for (int i = 0; i < n; ++i) {
      const mmsghdr& h = headers_[static_cast<std::size_t>(i)];
      if (h.msg_hdr.msg_flags & MSG_TRUNC) continue;  // larger than a slot: not ours
      on(std::span<const std::uint8_t>(storage_.data() + static_cast<std::size_t>(i) * slot_bytes_,
                                       h.msg_len),
         from_sockaddr(addresses_[static_cast<std::size_t>(i)]));
    }
    total += static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(n) < want) break;  // the queue is empty
  }
  return total;
}

void BatchSender::queue(Bytes frame, const udp::endpoint& to) {
  auto key = std::pair(to.address().to_v4().to_uint(), to.port());
  auto it = filling_.find(key);
  if (it != filling_.end() && datagrams_[it->second].size() + frame.size() <= max_bytes_) {
    Bytes& d = datagrams_[it->second];
    d.insert(d.end(), frame.begin(), frame.end());
    return;
  }
  filling_[key] = datagrams_.size();
  datagrams_.push_back(std::move(frame));
  addresses_.push_back(to_sockaddr(to));
}

std::size_t BatchSender::flush(int fd) {
  std::size_t count = datagrams_.size(), failed = 0;
  iovecs_.resize(count);
  headers_.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    largest_sent_ = std::max(largest_sent_, datagrams_[i].size());
    iovecs_[i] = {datagrams_[i].data(), datagrams_[i].size()};
    headers_[i] = {};
    headers_[i].msg_hdr.msg_name = &addresses_[i];
    headers_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    headers_[i].msg_hdr.msg_iov = &iovecs_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
  }
  for (std::size_t sent = 0; sent < count;) {
    int n = ::sendmmsg(fd, headers_.data() + sent, static_cast<unsigned>(count - sent), 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      ++failed;  // the first unsent one failed: skip it and go on with the rest
      ++sent;
      continue;
    }
    sent += static_cast<std::size_t>(n);
  }
  datagrams_.clear();
  addresses_.clear();
  filling_.clear();
  return failed;
}

}  // namespace knhk::net
