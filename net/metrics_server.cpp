#include "net/metrics_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace knhk::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// One connection: read a request, write the rendered metrics, close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, MetricsServer::Render render)
      : stream_(std::move(socket)), render_(std::move(render)) {}

  void start() {
    stream_.expires_after(std::chrono::seconds(5));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->respond();
                     });
  }

 private:
  void respond() {
    response_.version(request_.version());
    response_.keep_alive(false);
    if (request_.method() == http::verb::get) {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, "text/plain; version=0.0.4");
      response_.body() = render_();
    } else {
      response_.result(http::status::method_not_allowed);
    }
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, std::size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  MetricsServer::Render render_;
};

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, const std::string& address, std::uint16_t port,
                             Render render)
    : acceptor_(io, tcp::endpoint(asio::ip::make_address(address), port)),
      render_(std::move(render)) {
  accept();
}

std::uint16_t MetricsServer::port() const {
  return acceptor_.local_endpoint().port();
}

void MetricsServer::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
}

void MetricsServer::accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // closed on shutdown
    std::make_shared<Session>(std::move(socket), render_)->start();
    accept();
  });
}

std::string http_get(const std::string& host, std::uint16_t port, const std::string& path,
                     int timeout_ms) {
  // Asynchronous operations under run_for, so a peer that never answers cannot hang us.
  asio::io_context io;
  beast::tcp_stream stream(io);
  http::request<http::empty_body> req(http::verb::get, path, 11);
  req.set(http::field::host, host);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  beast::error_code result = asio::error::timed_out;
  stream.async_connect(
      tcp::endpoint(asio::ip::make_address(host), port), [&](beast::error_code ec) {
        if (ec) return void(result = ec);
        http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
          if (ec) return void(result = ec);
          http::async_read(stream, buffer, res,
                           [&](beast::error_code ec, std::size_t) { result = ec; });
        });
      });
  io.run_for(std::chrono::milliseconds(timeout_ms));
  if (result) throw std::runtime_error("GET " + path + ": " + result.message());
  if (res.result() != http::status::ok) throw std::runtime_error("GET " + path + ": not 200");
  return res.body();
}

}  // namespace knhk::net
