// The UDP host with a transport test double (CommitReplica): real sockets on loopback,
// real timers, real files. Everything runs on one io_context in this process.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "net/metrics_server.hpp"
#include "net/udp_host.hpp"
#include "net_test_support.hpp"

using namespace knhk;
using namespace knhk::net;
namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

struct TestNode {
  test::CommitReplica* replica = nullptr;
  std::unique_ptr<UdpHost> host;
};

TestNode start_node(asio::io_context& io, const ClusterFile& c, std::uint32_t id,
                    std::size_t ping_bytes, std::optional<std::filesystem::path> data = {},
                    std::size_t max_datagram_bytes = kMaxDatagramBytes) {
  auto replica = std::make_unique<test::CommitReplica>(NodeId(id), ping_bytes);
  TestNode n;
  n.replica = replica.get();
  UdpHostConfig config{NodeId(id), c,    test::key_for(Principal::replica(NodeId(id))),
                       data,       true, {}};
  config.wire.max_datagram_bytes = max_datagram_bytes;
  n.host = std::make_unique<UdpHost>(io, config, std::move(replica));
  n.host->start();
  return n;
}

// Runs the loop until `done` holds, or fails the test after `limit`.
template <class Pred>
bool run_until(asio::io_context& io, Pred done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.run_for(std::chrono::milliseconds(5));
    io.restart();
  }
  return true;
}

// A bare client: one socket and a Wire with client identity 0.
struct RawClient {
  RawClient(asio::io_context& io, const ClusterFile& c)
      : socket(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        wire(test::make_wire(c, Principal::client(ClientId(0)))) {
    socket.non_blocking(true);
  }
  void send(const ClusterFile& c, NodeId to, const Message& m) {
    std::vector<Bytes> datagrams;
    REQUIRE(wire.seal(Principal::replica(to), encode(m), datagrams));
    udp::endpoint ep(asio::ip::make_address("127.0.0.1"), c.node(to)->port);
    for (const auto& d : datagrams) socket.send_to(asio::buffer(d), ep);
  }
  std::optional<Reply> poll() {
    std::array<std::uint8_t, 65536> buf{};
    udp::endpoint from;
    boost::system::error_code ec;
    std::size_t n = socket.receive_from(asio::buffer(buf), from, 0, ec);
    if (ec) return std::nullopt;
    auto r = wire.open(std::span(buf.data(), n), Time{});
    if (!r) return std::nullopt;
    return std::get<Reply>(r->message.body);
  }
  udp::socket socket;
  Wire wire;
};

// Every node received `pings` pings from each of the others.
bool every_node_pinged_by_all(const std::vector<TestNode>& nodes, std::size_t pings) {
  for (const auto& n : nodes) {
    if (n.replica->pings_received_.size() != nodes.size() - 1) return false;
    for (const auto& [from, k] : n.replica->pings_received_)
      if (k != pings) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("udp host: replicas exchange fragmented messages over loopback", "[net][host]") {
  asio::io_context io;
  auto cluster = test::make_cluster(4, 1);
  std::vector<TestNode> nodes;
  for (std::uint32_t i = 0; i < 4; ++i)
    nodes.push_back(start_node(io, cluster, i, 60000, std::nullopt, 8000));
  // Each replica broadcasts three 60 kB pings (8 datagrams of 8 kB each) on a timer.
  bool all = run_until(
      io, [&] { return every_node_pinged_by_all(nodes, 3); }, std::chrono::seconds(10));
  CHECK(all);
  for (const auto& n : nodes) {
    INFO(n.host->render_metrics());
    CHECK(n.host->drops().total() == 0);
  }
}

TEST_CASE(
    "udp host: at a 1,400-byte limit 200 kB messages cross loopback in datagrams of at "
    "most 1,400 bytes",
    "[net][host][mtu]") {
  asio::io_context io;
  auto cluster = test::make_cluster(4, 1);
  std::vector<TestNode> nodes;
  for (std::uint32_t i = 0; i < 4; ++i)
    nodes.push_back(start_node(io, cluster, i, 60000, std::nullopt, 1400));
  RawClient client(io, cluster);
  // Each replica broadcasts three pings of a request's largest size (45 fragments each;
  // tests/net/mtu_test.cpp sends 200 kB state transfers through the wire) while a
  // client's requests commit at node 0.
  std::uint64_t replies = 0;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    client.send(cluster, NodeId(0), test::request_message(0, i, 16));
    REQUIRE(run_until(
        io, [&] { return client.poll().has_value(); }, std::chrono::seconds(5)));
    ++replies;
  }
  bool all = run_until(
      io, [&] { return every_node_pinged_by_all(nodes, 3); }, std::chrono::seconds(20));
  CHECK(all);
  CHECK(replies == 5);
  CHECK(nodes[0].replica->committed() == 5);
  for (const auto& n : nodes) {
    std::string metrics = n.host->render_metrics();
    INFO(metrics);
    CHECK(n.host->drops().total() == 0);
    CHECK(test::metric_value(metrics, "knhk_max_datagram_bytes") == 1400u);
    auto sent = test::metric_value(metrics, "knhk_datagram_bytes_max{direction=\"sent\"}");
    REQUIRE(sent);
    CHECK(*sent <= 1400);
    CHECK(*sent > 1300);  // the pings' fragments fill datagrams to the limit
    CHECK(test::metric_value(metrics, "knhk_datagrams_sent_total") >= 3u * 3u * 45u);
  }
}

TEST_CASE("udp host: client requests commit, reply to the learnt address, survive restart",
          "[net][host]") {
  asio::io_context io;
  auto cluster = test::make_cluster(4, 1);
  auto data = test::temp_dir("host-restart");
  RawClient client(io, cluster);
  {
    TestNode node = start_node(io, cluster, 0, 10, data);
    for (std::uint64_t i = 1; i <= 5; ++i) {
      client.send(cluster, NodeId(0), test::request_message(0, i, 16));
      std::optional<Reply> reply;
      REQUIRE(run_until(
          io, [&] { return (reply = client.poll()).has_value(); }, std::chrono::seconds(5)));
      CHECK(reply->id == RequestId(i));
      CHECK(reply->replica == NodeId(0));
    }
    CHECK(node.replica->committed() == 5);
    node.host->stop();
  }
  TestNode again = start_node(io, cluster, 0, 10, data);
  CHECK(again.replica->recovered() == 5);
  client.send(cluster, NodeId(0), test::request_message(0, 6, 16));
  std::optional<Reply> reply;
  REQUIRE(run_until(
      io, [&] { return (reply = client.poll()).has_value(); }, std::chrono::seconds(5)));
  Reader r(reply->result);
  CHECK(r.u64() == 6);
}

TEST_CASE("udp host: garbage on the socket is counted and service continues", "[net][host]") {
  asio::io_context io;
  auto cluster = test::make_cluster(4, 1);
  TestNode node = start_node(io, cluster, 1, 10);
  udp::socket attacker(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  udp::endpoint target(asio::ip::make_address("127.0.0.1"), cluster.node(NodeId(1))->port);
  std::uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 2000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    Bytes junk(x % 1400);
    for (auto& b : junk) b = static_cast<std::uint8_t>(x >>= 1);
    attacker.send_to(asio::buffer(junk), target);
    if (i % 200 == 0) io.poll();
  }
  RawClient client(io, cluster);
  client.send(cluster, NodeId(1), test::request_message(0, 1, 16));
  std::optional<Reply> reply;
  REQUIRE(run_until(
      io, [&] { return (reply = client.poll()).has_value(); }, std::chrono::seconds(5)));
  CHECK(node.replica->committed() == 1);
  CHECK(node.host->drops().total() >= 1000);  // the kernel may shed some under the burst
  CHECK(node.host->drops()[DropReason::bad_auth] + node.host->drops()[DropReason::truncated] +
            node.host->drops()[DropReason::bad_magic] >=
        1000);
}

TEST_CASE("udp host: metrics are served in Prometheus text format", "[net][host]") {
  asio::io_context io;
  auto cluster = test::make_cluster(4, 1);
  TestNode node = start_node(io, cluster, 2, 10);
  MetricsServer server(io, "127.0.0.1", 0, [&] { return node.host->render_metrics(); });
  RawClient client(io, cluster);
  client.send(cluster, NodeId(2), test::request_message(0, 1, 16));
  REQUIRE(run_until(
      io, [&] { return client.poll().has_value(); }, std::chrono::seconds(5)));
  std::string text;
  std::thread fetch([&] { text = http_get("127.0.0.1", server.port(), "/metrics"); });
  run_until(
      io, [&] { return !text.empty(); }, std::chrono::seconds(5));
  fetch.join();
  for (const char* name : {"consensus_phases_total{type=\"request\",direction=\"received\"} 1",
                           "consensus_latency_seconds_count 1", "validator_reputation{node=\"0\"}",
                           "byzantine_nodes 0", "state_commit_rate", "knhk_committed_position 1",
                           "knhk_datagrams_dropped_total{reason=\"bad_auth\"} 0"})
    CHECK_THAT(text, Catch::Contains(name));
}
