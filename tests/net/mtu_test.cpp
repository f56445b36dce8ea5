// The datagram size limit for 1,500-byte-MTU networks (WireConfig::max_datagram_bytes,
// `max_datagram` in the cluster file, `--max-datagram`): senders never produce a longer
// datagram, fragmenting or packing; receivers accept up to 65,000 bytes whatever their
// own limit; messages up to 16 MiB still fit the header's 65,535 fragments.
#include <catch2/catch.hpp>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <fstream>
#include <random>
#include <thread>

#include "net/cluster_file.hpp"
#include "net/datagram_io.hpp"
#include "net/frame.hpp"
#include "net/wire.hpp"
#include "net_test_support.hpp"

using namespace knhk;
using namespace knhk::net;
using namespace knhk::net::test;  // net_test_support.hpp
using udp = boost::asio::ip::udp;

namespace {

constexpr std::size_t kMtuLimit = 1400;

WireConfig limited(std::size_t bytes) {
  WireConfig c;
  c.max_datagram_bytes = bytes;
  return c;
}

// A PBFT state transfer carrying a snapshot of `snapshot_bytes` pseudo-random bytes: the
// largest kind of message replicas exchange.
Message state_transfer(std::size_t snapshot_bytes) {
  pbft::CheckpointTransfer checkpoint;
  checkpoint.seq = Seq(128);
  checkpoint.snapshot.resize(snapshot_bytes);
  std::mt19937_64 random(snapshot_bytes);
  for (auto& b : checkpoint.snapshot) b = static_cast<std::uint8_t>(random());
  pbft::StateResponse response;
  response.checkpoint = std::move(checkpoint);
  response.replica = NodeId(0);
  return Message{pbft::Message{std::move(response)}};
}

// Opens `datagrams` at `receiver` in a shuffled order; returns what was delivered.
std::vector<Received> open_shuffled(Wire& receiver, std::vector<Bytes> datagrams) {
  std::mt19937 random(7);
  std::shuffle(datagrams.begin(), datagrams.end(), random);
  std::vector<Received> delivered;
  for (const auto& d : datagrams)
    if (auto r = receiver.open(d, Time{})) delivered.push_back(std::move(*r));
  return delivered;
}

std::size_t longest(const std::vector<Bytes>& datagrams) {
  std::size_t n = 0;
  for (const auto& d : datagrams) n = std::max(n, d.size());
  return n;
}

}  // namespace

TEST_CASE(
    "mtu: a 200 kB state transfer at a 1,400-byte limit goes in datagrams of at most "
    "1,400 bytes and reassembles",
    "[net][mtu]") {
  auto cluster = make_cluster(4, 0);
  Wire sender = make_wire(cluster, kNode0, limited(kMtuLimit));
  Message m = state_transfer(200 * 1000);
  Bytes encoded = encode(m);
  std::vector<Bytes> datagrams = seal(sender, kNode1, m);

  std::size_t payload = kMtuLimit - kHeaderBytes - kTagBytes;
  CHECK(sender.max_payload_bytes() == payload);
  CHECK(datagrams.size() == (encoded.size() + payload - 1) / payload);  // ~150 fragments
  CHECK(datagrams.size() > 140);
  CHECK(longest(datagrams) <= kMtuLimit);
  CHECK(longest(datagrams) > kMtuLimit - 20);  // fragments are filled, not tiny

  SECTION("a receiver with the same limit") {
    Wire receiver = make_wire(cluster, kNode1, limited(kMtuLimit));
    auto got = open_shuffled(receiver, datagrams);
    REQUIRE(got.size() == 1);
    CHECK(encode(got[0].message) == encoded);
    CHECK(receiver.drops().total() == 0);
    CHECK(receiver.reassembly_bytes() == 0);
  }
  SECTION("a receiver that sends 65,000-byte datagrams itself") {
    Wire receiver = make_wire(cluster, kNode1);
    auto got = open_shuffled(receiver, datagrams);
    REQUIRE(got.size() == 1);
    CHECK(encode(got[0].message) == encoded);
  }
}

TEST_CASE("mtu: a receiver limited to 1,400 bytes still accepts a peer's 65,000-byte datagrams",
          "[net][mtu]") {
  auto cluster = make_cluster(4, 0);
  Wire big_sender = make_wire(cluster, kNode0);  // default limit
  Wire small_receiver = make_wire(cluster, kNode1, limited(kMtuLimit));
  Message m = state_transfer(200 * 1000);
  std::vector<Bytes> datagrams = seal(big_sender, kNode1, m);
  REQUIRE(datagrams.size() == 4);
  CHECK(longest(datagrams) > 40000);  // four of ~50 kB
  auto got = open_shuffled(small_receiver, datagrams);
  REQUIRE(got.size() == 1);
  CHECK(encode(got[0].message) == encode(m));
  CHECK(small_receiver.drops().total() == 0);
  // Above the protocol's maximum is still refused, whatever the limit.
  CHECK_FALSE(small_receiver.open(Bytes(kMaxDatagramBytes + 1, 0), Time{}));
  CHECK(small_receiver.drops()[DropReason::oversized] == 1);
}

TEST_CASE("mtu: a message near 16 MiB fits 65,535 fragments at the smallest limit and at 1,400",
          "[net][mtu]") {
  auto cluster = make_cluster(4, 0);
  Message m = state_transfer(kMaxNetMessageBytes - 4096);
  Bytes encoded = encode(m);
  REQUIRE(encoded.size() <= kMaxNetMessageBytes);
  REQUIRE(encoded.size() > kMaxNetMessageBytes - 8192);
  for (std::size_t limit : {kMinDatagramBytes, kMtuLimit}) {
    INFO("limit " << limit);
    Wire sender = make_wire(cluster, kNode0, limited(limit));
    Wire receiver = make_wire(cluster, kNode1, limited(limit));
    std::vector<Bytes> datagrams;
    REQUIRE(sender.seal(kNode1, encoded, datagrams));
    CHECK(datagrams.size() <= kMaxFragments);
    CHECK(datagrams.size() > (limit == kMinDatagramBytes ? 65000u : 12000u));
    CHECK(longest(datagrams) <= limit);
    std::optional<Received> got;
    for (const auto& d : datagrams)
      if (auto r = receiver.open(d, Time{})) got = std::move(r);
    REQUIRE(got);
    CHECK(encode(got->message) == encoded);
    CHECK(receiver.drops().total() == 0);
  }
}

TEST_CASE("mtu: the limit must lie between the minimum and 65,000 bytes", "[net][mtu]") {
  auto cluster = make_cluster(4, 0);
  CHECK(kMinDatagramBytes == kHeaderBytes + kTagBytes + 257);
  CHECK_NOTHROW(make_wire(cluster, kNode0, limited(kMinDatagramBytes)));
  CHECK_NOTHROW(make_wire(cluster, kNode0, limited(kMaxDatagramBytes)));
  CHECK_THROWS_AS(make_wire(cluster, kNode0, limited(kMinDatagramBytes - 1)),
                  std::invalid_argument);
  CHECK_THROWS_AS(make_wire(cluster, kNode0, limited(kMaxDatagramBytes + 1)),
                  std::invalid_argument);

  CHECK(parse_max_datagram("1400", "max_datagram") == 1400);
  CHECK(parse_max_datagram("320", "max_datagram") == 320);
  CHECK(parse_max_datagram("65000", "max_datagram") == 65000);
  for (std::string bad : {"319", "0", "65001", "100000", "abc", "14OO", "", "-1400", "1400.5",
                          "1e3", " 1400", "1400 ", "99999999999999999999"}) {
    INFO("value '" << bad << "'");
    try {
      parse_max_datagram(bad, "max_datagram");
      FAIL("accepted");
    } catch (const ConfigError& e) {
      CHECK_THAT(e.what(), Catch::Contains("max_datagram must be a whole number of bytes from "
                                           "320") &&
                               Catch::Contains("to 65000"));
    }
  }
}

TEST_CASE(
    "mtu: max_datagram in the cluster file round-trips, defaults to 65,000, and bad "
    "values are refused naming the file and the key",
    "[net][mtu][config]") {
  auto dir = temp_dir("mtu-config");
  ClusterFile c = make_cluster(4, 2);
  c.key_dir = dir;
  CHECK(c.max_datagram_bytes == kMaxDatagramBytes);
  std::string rendered = render_cluster_file(c);
  CHECK_THAT(rendered, Catch::Contains("\nmax_datagram: 65000\n"));
  c.max_datagram_bytes = kMtuLimit;
  std::ofstream(dir / "mtu.yaml") << render_cluster_file(c);
  CHECK(load_cluster_file(dir / "mtu.yaml").max_datagram_bytes == kMtuLimit);

  // A file written before the key existed runs unchanged, at 65,000.
  std::string old = rendered;
  auto line = old.find("max_datagram: 65000\n");
  old.erase(line, std::string("max_datagram: 65000\n").size());
  std::ofstream(dir / "old.yaml") << old;
  CHECK(load_cluster_file(dir / "old.yaml").max_datagram_bytes == kMaxDatagramBytes);

  for (std::string bad : {"abc", "100", "65001", "1400.5", "[1400]", "", "{a: 1}"}) {
    INFO("max_datagram: " << bad);
    std::string text = old;
    text.insert(line, "max_datagram: " + bad + "\n");
    std::ofstream(dir / "bad.yaml") << text;
    try {
      load_cluster_file(dir / "bad.yaml");
      FAIL("accepted");
    } catch (const ConfigError& e) {
      CHECK_THAT(e.what(), Catch::Contains("bad.yaml") &&
                               Catch::Contains("max_datagram must be a whole number of bytes"));
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "mtu: BatchSender packs small frames and fragments into datagrams of at most 1,400 "
    "bytes, in order",
    "[net][mtu][batch]") {
  boost::asio::io_context io;
  udp::socket rx(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  udp::socket tx(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  rx.set_option(boost::asio::socket_base::receive_buffer_size(4 << 20));
  rx.non_blocking(true);
  auto cluster = make_cluster(4, 0);
  Wire a = make_wire(cluster, kNode0, limited(kMtuLimit));
  BatchSender sender(kMtuLimit);
  CHECK(sender.max_datagram_bytes() == kMtuLimit);
  // Small replies interleaved with the fragments of larger messages, as one flush of a
  // node produces them: frames of 100-odd bytes and of up to 1,400.
  std::vector<Bytes> frames;
  std::size_t total_bytes = 0;
  for (std::uint64_t i = 1; i <= 200; ++i) {
    std::size_t op = i % 50 == 0 ? 5000 : 8 + i % 40;
    for (auto& f : seal(a, kNode1, request_message(0, i, op))) {
      total_bytes += f.size();
      frames.push_back(f);
      sender.queue(f, rx.local_endpoint());
    }
  }
  REQUIRE(frames.size() > 200);  // some messages were fragmented
  std::size_t queued = sender.size();
  CHECK(queued < frames.size() / 4);  // packed: several frames per datagram
  CHECK(queued >= (total_bytes + kMtuLimit - 1) / kMtuLimit);
  CHECK(sender.flush(tx.native_handle()) == 0);
  CHECK(sender.largest_sent() <= kMtuLimit);
  CHECK(sender.largest_sent() > kMtuLimit - 200);

  BatchReceiver receiver(16);
  std::vector<Bytes> received_frames;
  std::size_t datagrams = 0, longest_datagram = 0;
  auto on = [&](std::span<const std::uint8_t> d, const udp::endpoint&) {
    ++datagrams;
    longest_datagram = std::max(longest_datagram, d.size());
    for_each_frame(d, [&](std::span<const std::uint8_t> f) {
      received_frames.emplace_back(f.begin(), f.end());
    });
  };
  for (int tries = 0; tries < 200 && datagrams < queued; ++tries) {
    receiver.drain(rx.native_handle(), 256, on);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(datagrams == queued);
  CHECK(longest_datagram <= kMtuLimit);
  CHECK(received_frames == frames);  // every frame, in order
}
