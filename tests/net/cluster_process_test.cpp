// Issue 7's end-to-end tests: real `knhk node` processes on 127.0.0.1, per protocol.
// Each step bounds its own time; ProcessCluster kills every process it started.
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "net/frame.hpp"
#include "process_cluster.hpp"

using namespace knhk;
using namespace knhk::net;
using knhk::net::test::ProcessCluster;
using knhk::net::test::whole;

namespace {

std::string tail(const std::filesystem::path& log) {
  std::string all = whole(log);
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

// Sends random datagrams to a node as fast as the socket allows until `stop`.
void flood(std::uint16_t port, std::atomic<bool>& stop, std::atomic<std::uint64_t>& sent) {
  boost::asio::io_context io;
  boost::asio::ip::udp::socket s(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  boost::asio::ip::udp::endpoint target(boost::asio::ip::make_address("127.0.0.1"), port);
  std::uint64_t x = 0x9E3779B97F4A7C15ULL;
  Bytes junk;
  while (!stop) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    junk.resize(x % 1500);
    for (auto& b : junk) b = static_cast<std::uint8_t>(x = x * 6364136223846793005ULL + 1);
    // Every eighth datagram looks like ours (magic and version) so it reaches the tag check.
    if (junk.size() > 8 && x % 8 == 0)
      junk[0] = 0x4B, junk[1] = 0x4E, junk[2] = 0x48, junk[3] = 0x4B,
      junk[4] = knhk::net::kWireVersion;
    boost::system::error_code ec;
    s.send_to(boost::asio::buffer(junk), target, 0, ec);
    ++sent;
  }
}

void run_scenario(ProtocolKind protocol, const std::string& name) {
  ProcessCluster c(protocol, 4, name);
  c.start_all();
  REQUIRE(c.wait_ready({0, 1, 2, 3}, std::chrono::seconds(20)));

  INFO("1,000 requests commit on 4 processes");
  ClientReport first = c.run_load(1000, 0);
  INFO(first.summary() << "\nnode 0 log:\n" << tail(c.log(0)));
  REQUIRE(first.completed == 1000);
  REQUIRE(c.wait_converged({0, 1, 2, 3}, 1, std::chrono::seconds(20)));

  INFO("node 3 is SIGKILLed: the other three keep committing");
  auto node3_before_kill = c.state(3);
  REQUIRE(node3_before_kill);
  REQUIRE(node3_before_kill->position > 0);
  c.kill_node(3);
  auto before = c.state(0);
  REQUIRE(before);
  ClientReport second = c.run_load(300, 16);
  INFO(second.summary());
  REQUIRE(second.completed == 300);
  REQUIRE(c.wait_converged({0, 1, 2}, before->position + 1, std::chrono::seconds(20)));

  INFO("node 3 restarts from its data directory and catches up to an equal state hash");
  c.start_node(3);
  REQUIRE(c.wait_ready({3}, std::chrono::seconds(20)));
  // Committed state survived SIGKILL: the node comes back at least where it was.
  auto node3_restarted = c.state(3);
  REQUIRE(node3_restarted);
  CHECK(node3_restarted->position >= node3_before_kill->position);
  CHECK_THAT(whole(c.log(3)), Catch::Matches("(.|\n)*recovered [1-9][0-9]* records(.|\n)*"));
  ClientReport third = c.run_load(200, 0);  // new work shows the restarted node what it missed
  INFO(third.summary() << "\nnode 3 log:\n" << tail(c.log(3)));
  REQUIRE(third.completed == 200);
  CHECK(c.wait_converged({0, 1, 2, 3}, 1, std::chrono::seconds(60)));

  INFO("a flood of garbage datagrams at node 1 does not stop the cluster");
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> sent{0};
  std::thread attacker(flood, c.cluster().nodes[1].port, std::ref(stop), std::ref(sent));
  ClientReport fourth = c.run_load(300, 16);
  stop = true;
  attacker.join();
  INFO(fourth.summary() << "\ngarbage datagrams sent: " << sent.load());
  CHECK(fourth.completed == 300);
  auto node1 = c.state(1);
  REQUIRE(node1);
  CHECK(node1->dropped > 1000);
  CHECK(c.running(1));
  CHECK(c.wait_converged({0, 1, 2, 3}, 1, std::chrono::seconds(30)));

  INFO("SIGTERM shuts every node down cleanly");
  for (std::uint32_t i = 0; i < 4; ++i) CHECK(c.stop_node(i) == 0);
}

}  // namespace

TEST_CASE("real PBFT nodes over UDP: commit, crash, restart, garbage", "[net][process][pbft]") {
  run_scenario(ProtocolKind::pbft, "pbft-processes");
}

TEST_CASE("real HotStuff nodes over UDP: commit, crash, restart, garbage",
          "[net][process][hotstuff]") {
  run_scenario(ProtocolKind::hotstuff, "hotstuff-processes");
}

TEST_CASE("real PBFT nodes over UDP: the primary is SIGKILLed, a view change follows",
          "[net][process][pbft]") {
  ProcessCluster c(ProtocolKind::pbft, 4, "pbft-primary-crash");
  c.start_all();
  REQUIRE(c.wait_ready({0, 1, 2, 3}, std::chrono::seconds(20)));
  REQUIRE(c.run_load(200, 0).completed == 200);
  c.kill_node(0);  // the primary of view 0
  ClientReport after = c.run_load(300, 16);
  INFO(after.summary() << "\nnode 1 log:\n" << tail(c.log(1)));
  CHECK(after.completed == 300);
  CHECK(c.wait_converged({1, 2, 3}, 1, std::chrono::seconds(20)));
  auto s = c.state(1);
  REQUIRE(s);
  CHECK(s->view >= 1);
}
