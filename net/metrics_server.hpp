// A minimal HTTP/1.1 server (Boost.Beast) on the node's io_context that answers every
// GET with the Prometheus text the callback renders. One request per connection.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace knhk::net {

class MetricsServer {
 public:
  using Render = std::function<std::string()>;
  // Listens on address:port (port 0 picks a free one). Throws if it cannot bind.
  MetricsServer(boost::asio::io_context& io, const std::string& address, std::uint16_t port,
                Render render);
  std::uint16_t port() const;
  void stop();

 private:
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  Render render_;
};

// Fetches http://host:port/path once (for tests and `knhk cluster status`); throws on error.
std::string http_get(const std::string& host, std::uint16_t port, const std::string& path,
                     int timeout_ms = 2000);

}  // namespace knhk::net
