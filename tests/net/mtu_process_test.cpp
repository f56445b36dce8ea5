// Real `knhk node` processes (PBFT and HotStuff) with the datagram limit of a 1,500-byte-MTU
// network: the cluster file says max_datagram: 1400, one node overrides it with --max-datagram
// 1200, and the client overrides it too. Requests commit, a restarted node catches up, and no
// process sends a datagram above its own limit (read from each node's metrics).
#include <catch2/catch.hpp>
#include <fstream>

#include "process_cluster.hpp"

using namespace knhk;
using namespace knhk::net;
using knhk::net::test::ProcessCluster;
using knhk::net::test::whole;

namespace {

std::uint64_t metric(const ProcessCluster& c, std::uint32_t node, const std::string& series) {
  auto text = c.metrics(node);
  REQUIRE(text);
  auto value = test::metric_value(*text, series);
  INFO(*text);
  REQUIRE(value);
  return *value;
}

void run_mtu_scenario(ProtocolKind protocol, const std::string& name) {
  ProcessCluster c(protocol, 4, name, 1400);
  REQUIRE(c.cluster().max_datagram_bytes == 1400);
  c.set_node_args(3, {"--max-datagram", "1200"});  // a per-process override of the file
  c.start_all();
  REQUIRE(c.wait_ready({0, 1, 2, 3}, std::chrono::seconds(20)));
  CHECK_THAT(whole(c.log(3)), Catch::Contains("datagrams up to 1200 bytes"));
  CHECK_THAT(whole(c.log(0)), Catch::Contains("datagrams up to 1400 bytes"));
  CHECK_THAT(whole(c.log(0)), Catch::Contains(std::string(to_string(protocol)) + " replica"));

  INFO("600 requests from 32 identities commit; the client packs them under 1,400 bytes");
  ClientReport first = c.run_load(600, 0, 32);
  INFO(first.summary());
  REQUIRE(first.completed == 600);
  CHECK(first.largest_datagram_sent > 0);
  CHECK(first.largest_datagram_sent <= 1400);
  ClientReport overridden = c.run_load(200, 0, 32, 700);
  INFO(overridden.summary());
  REQUIRE(overridden.completed == 200);
  CHECK(overridden.largest_datagram_sent <= 700);
  REQUIRE(c.wait_converged({0, 1, 2, 3}, 1, std::chrono::seconds(20)));

  INFO("node 3 is SIGKILLed, misses 300 requests, restarts and catches up");
  c.kill_node(3);
  REQUIRE(c.run_load(300, 0, 32).completed == 300);
  c.start_node(3);
  REQUIRE(c.wait_ready({3}, std::chrono::seconds(20)));
  REQUIRE(c.run_load(200, 0, 32).completed == 200);
  CHECK(c.wait_converged({0, 1, 2, 3}, 1, std::chrono::seconds(60)));

  std::uint64_t longest_at_1400 = 0;
  for (std::uint32_t i = 0; i < 4; ++i) {
    INFO("node " << i);
    std::uint64_t limit = i == 3 ? 1200 : 1400;
    CHECK(metric(c, i, "knhk_max_datagram_bytes") == limit);
    std::uint64_t sent = metric(c, i, "knhk_datagram_bytes_max{direction=\"sent\"}");
    CHECK(sent > 0);
    CHECK(sent <= limit);
    if (i < 3) longest_at_1400 = std::max(longest_at_1400, sent);
  }
  // Batches of 32 requests (≈ 8 kB proposals) were fragmented right up to the limit.
  CHECK(longest_at_1400 > 1000);
  for (std::uint32_t i = 0; i < 4; ++i) CHECK(c.stop_node(i) == 0);
}

}  // namespace

TEST_CASE("real PBFT nodes with a 1,400-byte datagram limit: commit, catch up, nothing longer sent",
          "[net][process][pbft][mtu]") {
  run_mtu_scenario(ProtocolKind::pbft, "pbft-mtu");
}

TEST_CASE(
    "real HotStuff nodes with a 1,400-byte datagram limit: commit, catch up, nothing "
    "longer sent",
    "[net][process][hotstuff][mtu]") {
  run_mtu_scenario(ProtocolKind::hotstuff, "hotstuff-mtu");
}
