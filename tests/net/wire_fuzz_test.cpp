// The decoder fuzz target of issue 7: random and mutated datagrams fed to the receive
// path. Nothing may crash, nothing unauthenticated may be delivered, every rejected
// datagram is counted, and memory held for reassembly stays within its bound.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "net/wire.hpp"
#include "net_test_support.hpp"

using namespace knhk;
using namespace knhk::net;
using namespace knhk::net::test;  // net_test_support.hpp

namespace {

const ClusterFile& cluster() {
  static const ClusterFile c = make_cluster(4, 2);
  return c;
}

WireConfig small_datagrams() {
  WireConfig c;
  c.max_datagram_bytes = 512;
  c.replica_limits = {4, 64 * 1024, Duration::secs(2)};
  return c;
}

}  // namespace

TEST_CASE("random bytes never get through the receive path", "[net][fuzz]") {
  rc::prop("random datagram is dropped and counted", [] {
    Wire b = make_wire(cluster(), kNode1);
    auto datagram = *rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>());
    RC_ASSERT(!b.open(datagram, Time{}));
    RC_ASSERT(b.drops().total() == 1);
  });
}

TEST_CASE("random bytes behind a valid-looking header never get through", "[net][fuzz]") {
  rc::prop("forged header with random tag is dropped", [] {
    Wire b = make_wire(cluster(), kNode1);
    FrameHeader h;
    h.sender = kNode0;
    h.receiver = kNode1;
    h.message_id = *rc::gen::arbitrary<std::uint64_t>();
    h.fragment_count = *rc::gen::inRange<std::uint16_t>(1, 4);
    h.fragment_index = *rc::gen::inRange<std::uint16_t>(0, h.fragment_count);
    auto body = *rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>());
    h.total_length = static_cast<std::uint32_t>(body.size()) * h.fragment_count;
    Bytes d(kHeaderBytes);
    write_header(h, d.data());
    d.insert(d.end(), body.begin(), body.end());
    Bytes tag = *rc::gen::container<Bytes>(kTagBytes, rc::gen::arbitrary<std::uint8_t>());
    d.insert(d.end(), tag.begin(), tag.end());
    RC_ASSERT(!b.open(d, Time{}));
    RC_ASSERT(b.drops().total() == 1);
    RC_ASSERT(b.reassembly_bytes() == 0);
  });
}

TEST_CASE("mutated datagrams are dropped or deliver exactly the original", "[net][fuzz]") {
  rc::prop("a mutation of a sealed message never yields another message", [] {
    Wire a = make_wire(cluster(), kNode0, small_datagrams());
    Wire b = make_wire(cluster(), kNode1, small_datagrams());
    auto size = *rc::gen::inRange<std::size_t>(0, 3000);
    Message m = request_message(999, 7, size);
    Bytes original = encode(m);
    std::vector<Bytes> datagrams;
    RC_ASSERT(a.seal(kNode1, original, datagrams));
    auto mutations = *rc::gen::inRange(1, 8);
    for (int k = 0; k < mutations; ++k) {
      auto& d = datagrams[*rc::gen::inRange<std::size_t>(0, datagrams.size())];
      switch (*rc::gen::inRange(0, 4)) {
        case 0:
          d[*rc::gen::inRange<std::size_t>(0, d.size())] ^= *rc::gen::inRange(1, 256);
          break;
        case 1:
          d.resize(*rc::gen::inRange<std::size_t>(0, d.size()));
          break;
        case 2:
          d.push_back(*rc::gen::arbitrary<std::uint8_t>());
          break;
        case 3:
          std::swap(datagrams.front(), datagrams.back());
          break;
      }
    }
    std::size_t delivered = 0;
    for (const auto& d : datagrams) {
      if (auto r = b.open(d, Time{})) {
        ++delivered;
        RC_ASSERT(r->from == kNode0);
        RC_ASSERT(encode(r->message) == original);
      }
      RC_ASSERT(b.reassembly_bytes() <= 64u * 1024);
    }
    RC_ASSERT(delivered <= 1);
  });
}

TEST_CASE("authenticated garbage from a peer reaches the decoder and is only counted",
          "[net][fuzz]") {
  rc::prop("a Byzantine peer's random payload never crashes and never yields garbage", [] {
    Wire a = make_wire(cluster(), kNode0, small_datagrams());
    Wire b = make_wire(cluster(), kNode1, small_datagrams());
    auto payload = *rc::gen::oneOf(
        rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>()),
        // Mostly-valid messages with a few bytes changed: deep into the decoders.
        rc::gen::map(rc::gen::inRange<std::size_t>(0, 2000),
                     [](std::size_t n) { return encode(request_message(3, 9, n)); }));
    if (!payload.empty() && *rc::gen::arbitrary<bool>())
      payload[*rc::gen::inRange<std::size_t>(0, payload.size())] ^= 0x5a;
    std::vector<Bytes> datagrams;
    RC_ASSERT(a.seal(kNode1, payload, datagrams));
    std::optional<Received> got;
    for (const auto& d : datagrams)
      if (auto r = b.open(d, Time{})) got = std::move(r);
    Decoded<Message> direct = decode_message(payload);
    // Delivered exactly when the bytes are a canonical message, and then unchanged.
    RC_ASSERT(got.has_value() == direct.value.has_value());
    if (got) RC_ASSERT(encode(got->message) == payload);
    if (!got) RC_ASSERT(b.drops()[DropReason::decode_failed] == 1);
  });
}
