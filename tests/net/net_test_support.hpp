// Shared pieces of the transport tests: deterministic keys, a cluster file on free
// loopback ports, and a tiny replica that exercises every effect the UDP host executes.
#pragma once

#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>

#include "net/cluster_file.hpp"
#include "net/link_keys.hpp"
#include "net/wire.hpp"
#include "protocols/common/host.hpp"
#include "protocols/message.hpp"

namespace knhk::net::test {

inline Ed25519KeyPair key_for(Principal p) {
  std::array<std::uint8_t, 32> seed{};
  seed[0] = static_cast<std::uint8_t>(p.kind) + 1;
  seed[1] = static_cast<std::uint8_t>(p.id);
  seed[2] = static_cast<std::uint8_t>(p.id >> 8);
  return ed25519_keypair_from_seed(seed);
}

// Ports for test nodes come from 20000-31999, below the kernel's ephemeral range
// (32768+): a socket bound to port 0 (a client, another test) can then never take a port
// between our check and the node's bind. Each candidate is checked free for UDP and TCP
// (metrics) and never handed out twice by this process.
inline bool port_free(std::uint16_t port) {
  boost::asio::io_context io;
  boost::system::error_code ec;
  boost::asio::ip::udp::socket u(io);
  u.open(boost::asio::ip::udp::v4());
  u.bind({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return false;
  boost::asio::ip::tcp::acceptor t(io);
  t.open(boost::asio::ip::tcp::v4());
  t.bind({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

// `count` consecutive free ports; returns the first.
inline std::uint16_t free_port_range(std::uint16_t count) {
  static std::uint32_t state =
      static_cast<std::uint32_t>(::getpid()) * 2654435761u ^
      static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  static std::set<std::uint16_t> handed_out;
  for (int attempt = 0; attempt < 10000; ++attempt) {
    state = state * 1664525u + 1013904223u;
    auto base = static_cast<std::uint16_t>(20000 + (state >> 8) % (12000 - count));
    bool ok = true;
    for (std::uint16_t i = 0; i < count && ok; ++i)
      ok = !handed_out.count(static_cast<std::uint16_t>(base + i)) &&
           port_free(static_cast<std::uint16_t>(base + i));
    if (!ok) continue;
    for (std::uint16_t i = 0; i < count; ++i)
      handed_out.insert(static_cast<std::uint16_t>(base + i));
    return base;
  }
  throw std::runtime_error("no free port range for the test");
}

inline std::uint16_t free_udp_port() {
  return free_port_range(1);
}

inline ClusterFile make_cluster(std::uint32_t nodes, std::uint32_t clients) {
  ClusterFile c;
  c.params.nodes = nodes;
  c.params.crypto = CryptoScheme::ed25519;
  for (std::uint32_t i = 0; i < nodes; ++i)
    c.nodes.push_back({NodeId(i), "127.0.0.1", free_udp_port(),
                       key_for(Principal::replica(NodeId(i))).public_key});
  for (std::uint32_t i = 0; i < clients; ++i)
    c.clients[ClientId(i)] = key_for(Principal::client(ClientId(i))).public_key;
  return c;
}

inline Wire make_wire(const ClusterFile& c, Principal self, WireConfig config = {}) {
  return Wire(LinkKeys(self, key_for(self), c.directory()), config);
}

inline const Principal kNode0 = Principal::replica(NodeId(0));
inline const Principal kNode1 = Principal::replica(NodeId(1));
inline const Principal kClient0 = Principal::client(ClientId(0));

// The datagrams of `m` sealed by `w` for `to` (the test fails if the wire refuses).
inline std::vector<Bytes> seal(Wire& w, Principal to, const Message& m) {
  std::vector<Bytes> out;
  REQUIRE(w.seal(to, encode(m), out));
  return out;
}

inline Message request_message(std::uint32_t client, std::uint64_t id, std::size_t op_bytes) {
  Request r;
  r.client = ClientId(client);
  r.id = RequestId(id);
  r.operation.resize(op_bytes);
  for (std::size_t i = 0; i < op_bytes; ++i) r.operation[i] = static_cast<std::uint8_t>(i * 7 + id);
  return Message{r};
}

// The value of one series (`name{labels}` exactly as rendered) in Prometheus text;
// nullopt when absent.
inline std::optional<std::uint64_t> metric_value(const std::string& text,
                                                 const std::string& series) {
  std::string prefix = "\n" + series + " ";
  auto at = ("\n" + text).find(prefix);
  if (at == std::string::npos) return std::nullopt;
  return std::stoull(text.substr(at + prefix.size() - 1));
}

inline std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("knhk-net-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Commits every client request at the next position (no agreement: a transport test
// double), replies with the position, persists the count, and on a timer broadcasts a
// `ping_bytes`-sized message to its peers so replica-to-replica paths and fragmentation
// are exercised.
class CommitReplica : public Replica {
 public:
  CommitReplica(NodeId self, std::size_t ping_bytes) : self_(self), ping_bytes_(ping_bytes) {}

  void step(Time now, const Input& input, Effects& out) override {
    if (auto* s = std::get_if<StartInput>(&input)) {
      if (s->recovered && s->recovered->count("count")) {
        Reader r(s->recovered->at("count"));
        committed_ = r.u64();
      }
      recovered_ = committed_;
      out.set_timer(1, Duration::millis_(5));
    } else if (auto* t = std::get_if<TimerInput>(&input)) {
      if (t->id == 1 && pings_sent_ < 3) {
        ++pings_sent_;
        out.broadcast(
            std::make_shared<const Message>(request_message(999, pings_sent_, ping_bytes_)));
        out.set_timer(1, Duration::millis_(5));
      }
    } else if (auto* m = std::get_if<MessageInput>(&input)) {
      // Count only pings whose bytes arrived intact (reassembly must be exact).
      auto* r = std::get_if<Request>(&m->msg->body);
      Message expected = request_message(999, r ? r->id.value : 0, ping_bytes_);
      if (r && r->operation == std::get<Request>(expected.body).operation)
        ++pings_received_[m->from];
    } else if (auto* c = std::get_if<ClientRequestInput>(&input)) {
      commit(*c->request, out);
    }
  }

  ReplicaStatus status() const override {
    ReplicaStatus s;
    s.committed = Seq(committed_);
    return s;
  }

  std::uint64_t committed() const { return committed_; }
  std::uint64_t recovered() const { return recovered_; }
  std::map<NodeId, std::uint64_t> pings_received_;

 private:
  void commit(const Request& r, Effects& out) {
    ++committed_;
    Writer w;
    w.u64(committed_);
    out.persist("count", w.bytes());
    auto batch = std::make_shared<const Batch>(Batch{r});
    CommitEffect c;
    c.position = Seq(committed_);
    c.slot = committed_;
    c.batch_digest = batch_digest(*batch);
    c.batch = batch;
    out.list.emplace_back(std::move(c));
    Reply reply;
    reply.client = r.client;
    reply.id = r.id;
    reply.replica = self_;
    reply.result = w.bytes();
    out.list.emplace_back(ReplyEffect{r.client, std::make_shared<const Reply>(reply), nullptr});
  }

  NodeId self_;
  std::size_t ping_bytes_;
  std::uint64_t committed_ = 0;
  std::uint64_t recovered_ = 0;
  std::uint64_t pings_sent_ = 0;
};

}  // namespace knhk::net::test
