#include <catch2/catch.hpp>

#include "net/frame.hpp"
#include "net/wire.hpp"
#include "net_test_support.hpp"

using namespace knhk;
using namespace knhk::net;
using namespace knhk::net::test;  // net_test_support.hpp

TEST_CASE("a sealed message opens at its receiver as the same message", "[net][wire]") {
  auto cluster = make_cluster(4, 2);
  Wire a = make_wire(cluster, kNode0), b = make_wire(cluster, kNode1);
  Message m = request_message(999, 1, 100);
  auto datagrams = seal(a, kNode1, m);
  REQUIRE(datagrams.size() == 1);
  auto got = b.open(datagrams[0], Time{});
  REQUIRE(got);
  CHECK(got->from == kNode0);
  CHECK(encode(got->message) == encode(m));
  CHECK(b.drops().total() == 0);
}

TEST_CASE("a large message is fragmented and reassembled in any order", "[net][wire]") {
  auto cluster = make_cluster(4, 0);
  Wire a = make_wire(cluster, kNode0), b = make_wire(cluster, kNode1);
  Message m = request_message(999, 2, 60000);  // operation near the request limit
  auto datagrams = seal(a, kNode1, m);
  REQUIRE(datagrams.size() == 1);  // 60 kB fits one datagram
  WireConfig small;
  small.max_datagram_bytes = 1000;
  Wire a_small = make_wire(cluster, kNode0, small), b_small = make_wire(cluster, kNode1, small);
  datagrams = seal(a_small, kNode1, m);
  REQUIRE(datagrams.size() > 60);
  for (const auto& d : datagrams) CHECK(d.size() <= 1000);
  std::reverse(datagrams.begin(), datagrams.end());
  datagrams.push_back(datagrams[3]);  // a duplicate arriving late is harmless
  std::optional<Received> got;
  for (std::size_t i = 0; i < datagrams.size(); ++i) {
    auto r = b_small.open(datagrams[i], Time{});
    if (i + 2 < datagrams.size()) CHECK_FALSE(r);
    if (r) got = std::move(r);
  }
  REQUIRE(got);
  CHECK(encode(got->message) == encode(m));
  CHECK(b_small.reassembly_bytes() == 0);
}

TEST_CASE("garbage datagrams are dropped and counted by reason", "[net][wire]") {
  auto cluster = make_cluster(4, 1);
  Wire a = make_wire(cluster, kNode0), b = make_wire(cluster, kNode1);
  Bytes good = seal(a, kNode1, request_message(999, 3, 10))[0];

  CHECK_FALSE(b.open(Bytes(5, 0), Time{}));
  CHECK(b.drops()[DropReason::truncated] == 1);
  CHECK_FALSE(b.open(Bytes(kMaxDatagramBytes + 1, 0), Time{}));
  CHECK(b.drops()[DropReason::oversized] == 1);
  Bytes bad_magic = good;
  bad_magic[0] ^= 1;
  CHECK_FALSE(b.open(bad_magic, Time{}));
  CHECK(b.drops()[DropReason::bad_magic] == 1);
  Bytes bad_version = good;
  bad_version[4] = 9;
  CHECK_FALSE(b.open(bad_version, Time{}));
  CHECK(b.drops()[DropReason::bad_version] == 1);
  Bytes unknown = good;
  unknown[6] = 77;  // sender id 77 is not in the cluster
  CHECK_FALSE(b.open(unknown, Time{}));
  CHECK(b.drops()[DropReason::unknown_sender] == 1);
  Bytes forged = good;
  forged[6] = 2;  // claims to be node 2, tag made with node 0's pair key
  CHECK_FALSE(b.open(forged, Time{}));
  Bytes tampered = good;
  tampered[kHeaderBytes + 3] ^= 0x40;
  CHECK_FALSE(b.open(tampered, Time{}));
  CHECK(b.drops()[DropReason::bad_auth] == 2);
  Wire c = make_wire(cluster, Principal::replica(NodeId(2)));
  CHECK_FALSE(c.open(good, Time{}));  // addressed to node 1
  CHECK(c.drops()[DropReason::wrong_receiver] == 1);
  // Authenticated but not a message: a Byzantine peer's garbage is still only counted.
  std::vector<Bytes> junk;
  REQUIRE(a.seal(kNode1, Bytes{0xff, 1, 2, 3}, junk));
  CHECK_FALSE(b.open(junk[0], Time{}));
  CHECK(b.drops()[DropReason::decode_failed] == 1);
  // The valid datagram still gets through after all that.
  CHECK(b.open(good, Time{}));
}

TEST_CASE("clients may only send their own requests", "[net][wire]") {
  auto cluster = make_cluster(4, 2);
  Wire client = make_wire(cluster, kClient0), node = make_wire(cluster, kNode1);
  CHECK(node.open(seal(client, kNode1, request_message(0, 1, 8))[0], Time{}));
  CHECK_FALSE(node.open(seal(client, kNode1, request_message(1, 1, 8))[0], Time{}));
  CHECK(node.drops()[DropReason::principal_mismatch] == 1);
  Reply reply;
  reply.client = ClientId(0);
  CHECK_FALSE(node.open(seal(client, kNode1, Message{reply})[0], Time{}));
  CHECK(node.drops()[DropReason::unexpected_message] == 1);
  // And a client accepts only replies addressed to it from the replica that signs them.
  reply.replica = NodeId(1);
  CHECK(client.open(seal(node, kClient0, Message{reply})[0], Time{}));
  reply.replica = NodeId(2);
  CHECK_FALSE(client.open(seal(node, kClient0, Message{reply})[0], Time{}));
  CHECK(client.drops()[DropReason::principal_mismatch] == 1);
}

TEST_CASE("reassembly memory is bounded per sender and partials time out", "[net][wire]") {
  auto cluster = make_cluster(4, 0);
  WireConfig config;
  config.max_datagram_bytes = 1000;
  config.replica_limits = {4, 100000, Duration::secs(2)};
  Wire a = make_wire(cluster, kNode0, config), b = make_wire(cluster, kNode1, config);
  // 20 large messages, each missing its last fragment: never complete.
  for (int i = 0; i < 20; ++i) {
    auto datagrams = seal(a, kNode1, request_message(999, static_cast<std::uint64_t>(i), 20000));
    datagrams.pop_back();
    for (const auto& d : datagrams) CHECK_FALSE(b.open(d, Time{i}));
    CHECK(b.reassembly_bytes() <= 100000);
  }
  CHECK(b.drops()[DropReason::reassembly_evicted] == 16);
  b.expire(Time{} + Duration::secs(3));
  CHECK(b.drops()[DropReason::reassembly_timeout] == 4);
  CHECK(b.reassembly_bytes() == 0);
  // A message larger than the per-sender budget is refused outright.
  auto huge = seal(a, kNode1, request_message(999, 99, 60000));
  huge.resize(2);
  config.replica_limits.max_bytes = 50000;
  Wire tight = make_wire(cluster, kNode1, config);
  CHECK_FALSE(tight.open(huge[0], Time{}));
  CHECK(tight.drops()[DropReason::reassembly_evicted] == 1);
  CHECK(tight.reassembly_bytes() == 0);
}

TEST_CASE("fragments that disagree with their message are rejected", "[net][wire]") {
  auto cluster = make_cluster(4, 0);
  WireConfig config;
  config.max_datagram_bytes = 1000;
  Wire a = make_wire(cluster, kNode0, config), b = make_wire(cluster, kNode1, config);
  std::vector<Bytes> second;
  std::uint64_t reused_id = 12345;
  REQUIRE(a.seal(kNode1, reused_id, encode(request_message(999, 1, 5000)), second));
  std::vector<Bytes> other;
  REQUIRE(a.seal(kNode1, reused_id, encode(request_message(999, 2, 7000)), other));
  CHECK_FALSE(b.open(second[0], Time{}));
  CHECK_FALSE(b.open(other[1], Time{}));  // same id, other length: conflict
  CHECK(b.drops()[DropReason::reassembly_conflict] == 1);
}
