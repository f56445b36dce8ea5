// Several frames per datagram (frame.hpp for_each_frame, datagram_io.hpp BatchSender):
// frames to one address share datagrams, keep their order, and garbage is still
// counted once.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <thread>

#include "net/datagram_io.hpp"
#include "net/wire.hpp"
#include "net_test_support.hpp"

using namespace knhk;
using namespace knhk::net;
using namespace knhk::net::test;  // net_test_support.hpp
using udp = boost::asio::ip::udp;

namespace {

Bytes seal_one(Wire& w, Principal to, const Message& m) {
  std::vector<Bytes> out = seal(w, to, m);
  REQUIRE(out.size() == 1);
  return out[0];
}

std::vector<Bytes> split(const Bytes& datagram) {
  std::vector<Bytes> frames;
  for_each_frame(std::span<const std::uint8_t>(datagram),
                 [&](std::span<const std::uint8_t> f) { frames.emplace_back(f.begin(), f.end()); });
  return frames;
}

}  // namespace

TEST_CASE("frames back to back in one datagram open one by one", "[net][batch]") {
  auto cluster = make_cluster(4, 0);
  Wire a = make_wire(cluster, kNode0), b = make_wire(cluster, kNode1);
  std::vector<Bytes> frames;
  Bytes datagram;
  for (std::uint64_t i = 1; i <= 3; ++i) {
    frames.push_back(seal_one(a, kNode1, request_message(0, i, 10 * i)));
    datagram.insert(datagram.end(), frames.back().begin(), frames.back().end());
  }
  auto parts = split(datagram);
  REQUIRE(parts == frames);
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto got = b.open(parts[i], Time{});
    REQUIRE(got);
    CHECK(std::get<Request>(got->message.body).id == RequestId(i + 1));
  }
  CHECK(b.drops().total() == 0);
}

TEST_CASE("garbage in a batched datagram is counted once, valid frames before it open",
          "[net][batch]") {
  auto cluster = make_cluster(4, 0);
  Wire a = make_wire(cluster, kNode0), b = make_wire(cluster, kNode1);
  Bytes garbage(300, 0xAB);
  CHECK(split(garbage).size() == 1);    // no header to trust: one piece
  REQUIRE(split(Bytes{}).size() == 1);  // an empty datagram is still seen (and counted)
  CHECK_FALSE(b.open(split(Bytes{})[0], Time{}));
  CHECK(b.drops()[DropReason::truncated] == 1);
  Bytes frame = seal_one(a, kNode1, request_message(0, 1, 20));
  Bytes mixed = frame;
  mixed.insert(mixed.end(), garbage.begin(), garbage.end());
  auto parts = split(mixed);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0] == frame);
  CHECK(b.open(parts[0], Time{}));
  CHECK_FALSE(b.open(parts[1], Time{}));
  CHECK(b.drops()[DropReason::bad_magic] == 1);
  // A frame cut short: the split hands over the rest whole, and it is refused.
  Bytes cut(frame.begin(), frame.end() - 5);
  REQUIRE(split(cut).size() == 1);
  CHECK_FALSE(b.open(split(cut)[0], Time{}));
  CHECK(b.drops()[DropReason::bad_header] == 1);
}

TEST_CASE("BatchSender coalesces frames per address; BatchReceiver reads them on loopback",
          "[net][batch]") {
  boost::asio::io_context io;
  udp::socket rx1(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  udp::socket rx2(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  udp::socket tx(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  rx1.non_blocking(true);
  rx2.non_blocking(true);
  auto cluster = make_cluster(4, 0);
  Wire a = make_wire(cluster, kNode0);
  BatchSender sender(8000);
  std::vector<Bytes> to_first;
  for (std::uint64_t i = 1; i <= 100; ++i) {
    to_first.push_back(seal_one(a, kNode1, request_message(0, i, 40)));
    sender.queue(to_first.back(), rx1.local_endpoint());
  }
  sender.queue(seal_one(a, kNode1, request_message(0, 999, 40)), rx2.local_endpoint());
  std::size_t frame_bytes = to_first[0].size();
  std::size_t per_datagram = 8000 / frame_bytes;
  std::size_t expected_datagrams = (100 + per_datagram - 1) / per_datagram + 1;
  CHECK(sender.size() == expected_datagrams);
  CHECK(sender.flush(tx.native_handle()) == 0);
  CHECK(sender.empty());

  BatchReceiver receiver(4);
  std::vector<Bytes> frames;
  std::size_t datagrams = 0;
  auto on = [&](std::span<const std::uint8_t> d, const udp::endpoint&) {
    ++datagrams;
    for (auto& f : split(Bytes(d.begin(), d.end()))) frames.push_back(f);
  };
  for (int tries = 0; tries < 100 && frames.size() < 100; ++tries) {
    receiver.drain(rx1.native_handle(), 64, on);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(datagrams == expected_datagrams - 1);
  CHECK(frames == to_first);  // all of them, in order
  std::size_t second = 0;
  for (int tries = 0; tries < 100 && second == 0; ++tries) {
    second += receiver.drain(rx2.native_handle(), 64, [](auto, const auto&) {});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(second == 1);
}

TEST_CASE("a forged frame ends a datagram: nothing after it is opened", "[net][batch]") {
  auto cluster = make_cluster(4, 0);
  Wire a = make_wire(cluster, kNode0), b = make_wire(cluster, kNode1);
  auto datagram_of = [](const std::vector<Bytes>& frames) {
    Bytes d;
    for (const auto& f : frames) d.insert(d.end(), f.begin(), f.end());
    return d;
  };
  std::vector<Bytes> frames;
  for (std::uint64_t i = 1; i <= 12; ++i)
    frames.push_back(seal_one(a, kNode1, request_message(0, i, 8)));
  Bytes forged = frames[2];
  forged.back() ^= 1;  // its tag no longer verifies
  std::vector<Bytes> mixed = {frames[0], frames[1], forged};
  for (std::size_t i = 3; i < frames.size(); ++i) mixed.push_back(frames[i]);
  std::vector<RequestId> delivered;
  b.open_all(datagram_of(mixed), Time{},
             [&](Received&& r) { delivered.push_back(std::get<Request>(r.message.body).id); });
  CHECK(delivered == std::vector<RequestId>{RequestId(1), RequestId(2)});
  CHECK(b.drops()[DropReason::bad_auth] == 1);
  CHECK(b.drops().total() == 1);  // the nine frames after it were not looked at
  // Without the forged frame, the same frames all open (a replay of 1 and 2 is dropped).
  delivered.clear();
  std::vector<Bytes> honest(frames.begin() + 3, frames.end());
  b.open_all(datagram_of(honest), Time{},
             [&](Received&& r) { delivered.push_back(std::get<Request>(r.message.body).id); });
  CHECK(delivered.size() == 9);
}
