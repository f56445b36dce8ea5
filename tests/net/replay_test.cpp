// Replay protection: an authenticated datagram sent again is dropped and counted
// (net/replay_window.hpp), while reordering within the window is still delivered.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <thread>

#include "net/replay_window.hpp"
#include "net/wire.hpp"
#include "net_test_support.hpp"

using namespace knhk;
using namespace knhk::net;
using namespace knhk::net::test;  // net_test_support.hpp

TEST_CASE("replay: a captured datagram sent again is dropped and counted", "[net][replay]") {
  auto cluster = make_cluster(4, 1);
  Wire a = make_wire(cluster, kNode0), b = make_wire(cluster, kNode1);
  Bytes captured = seal(a, kNode1, request_message(0, 1, 20))[0];
  REQUIRE(b.open(captured, Time{}));
  CHECK(b.drops().total() == 0);
  for (int i = 1; i <= 3; ++i) {
    CHECK_FALSE(b.open(captured, Time{}));
    CHECK(b.drops()[DropReason::replayed] == static_cast<std::uint64_t>(i));
  }
  CHECK(to_string(DropReason::replayed) == "replayed");
  // Fresh messages from the same sender still get through.
  CHECK(b.open(seal(a, kNode1, request_message(0, 2, 20))[0], Time{}));
}

TEST_CASE("replay: a fragmented message is delivered once", "[net][replay]") {
  auto cluster = make_cluster(4, 0);
  WireConfig small;
  small.max_datagram_bytes = 1000;
  Wire a = make_wire(cluster, kNode0, small), b = make_wire(cluster, kNode1, small);
  auto datagrams = seal(a, kNode1, request_message(0, 1, 5000));
  REQUIRE(datagrams.size() > 3);
  int delivered = 0;
  for (int round = 0; round < 2; ++round)
    for (const auto& d : datagrams) delivered += b.open(d, Time{}) ? 1 : 0;
  CHECK(delivered == 1);
  CHECK(b.drops()[DropReason::replayed] == datagrams.size());
}

TEST_CASE("replay: reordering within the window is delivered, older ids are not", "[net][replay]") {
  auto cluster = make_cluster(4, 0);
  Wire a = make_wire(cluster, kNode0), b = make_wire(cluster, kNode1);
  std::vector<Bytes> sent;
  for (std::uint64_t i = 0; i < ReplayWindow::kWidth + 8; ++i)
    sent.push_back(seal(a, kNode1, request_message(0, i + 1, 4))[0]);
  // Newest first, then a few reordered ones inside the window: all delivered once.
  REQUIRE(b.open(sent.back(), Time{}));
  for (std::size_t k : {sent.size() - 2, sent.size() - 5, sent.size() - 3, std::size_t{9}})
    CHECK(b.open(sent[k], Time{}));
  CHECK(b.drops().total() == 0);
  CHECK_FALSE(b.open(sent[sent.size() - 5], Time{}));  // a second copy
  // Further back than the window: refused even though never delivered.
  CHECK_FALSE(b.open(sent[0], Time{}));
  CHECK(b.drops()[DropReason::replayed] == 2);
}

TEST_CASE("replay: a restarted sender continues above its old ids", "[net][replay]") {
  auto cluster = make_cluster(4, 0);
  Wire b = make_wire(cluster, kNode1);
  {
    Wire before = make_wire(cluster, kNode0);
    for (int i = 0; i < 50; ++i)
      REQUIRE(b.open(seal(before, kNode1, request_message(0, 1, 4))[0], Time{}));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  Wire after = make_wire(cluster, kNode0);  // same identity, new process
  CHECK(b.open(seal(after, kNode1, request_message(0, 2, 4))[0], Time{}));
  CHECK(b.drops().total() == 0);
}

TEST_CASE("replay window: marks, slides and forgets", "[net][replay]") {
  ReplayWindow w;
  CHECK(w.fresh(100));
  w.mark(100);
  CHECK_FALSE(w.fresh(100));
  CHECK(w.fresh(99));
  CHECK(w.fresh(101));
  w.mark(100 + ReplayWindow::kWidth);  // slides: 100 is now too old
  CHECK_FALSE(w.fresh(100));
  CHECK(w.fresh(101));  // inside the window and never delivered
  CHECK_FALSE(w.fresh(100 + ReplayWindow::kWidth));
  CHECK(w.fresh(101 + ReplayWindow::kWidth));
  w.mark(100 + 3 * ReplayWindow::kWidth);  // a jump clears every old bit
  CHECK(w.fresh(100 + 3 * ReplayWindow::kWidth - 1));
  CHECK_FALSE(w.fresh(100 + 3 * ReplayWindow::kWidth));
  CHECK_FALSE(w.fresh(100 + ReplayWindow::kWidth));  // too old now
}

// The word-wise window against a plain model: an id is fresh when newer than every
// delivered id, or within kWidth of the newest and never delivered.
TEST_CASE("replay window: agrees with a set-based model", "[net][replay]") {
  rc::prop("fresh/mark match the model for random jumps", [] {
    const auto steps = *rc::gen::container<std::vector<std::pair<std::uint64_t, bool>>>(
        rc::gen::pair(rc::gen::oneOf(rc::gen::inRange<std::uint64_t>(0, 70),
                                     rc::gen::inRange<std::uint64_t>(0, 3 * ReplayWindow::kWidth)),
                      rc::gen::arbitrary<bool>()));
    ReplayWindow w;
    std::set<std::uint64_t> delivered;
    std::uint64_t highest = 5 * ReplayWindow::kWidth;  // ids move up and down around it
    for (const auto& [delta, down] : steps) {
      const std::uint64_t id = down ? highest - std::min(delta, highest) : highest + delta;
      const std::uint64_t newest = delivered.empty() ? 0 : *delivered.rbegin();
      const bool model_fresh = delivered.empty() || id > newest ||
                               (newest - id < ReplayWindow::kWidth && !delivered.count(id));
      RC_ASSERT(w.fresh(id) == model_fresh);
      if (model_fresh) {
        w.mark(id);
        delivered.insert(id);
        highest = std::max(highest, id);
      }
    }
    // Every id around the newest agrees too.
    const std::uint64_t newest = delivered.empty() ? 0 : *delivered.rbegin();
    for (std::uint64_t id = newest > 4200 ? newest - 4200 : 0; id <= newest + 2; ++id) {
      const bool model_fresh = delivered.empty() || id > newest ||
                               (newest - id < ReplayWindow::kWidth && !delivered.count(id));
      RC_ASSERT(w.fresh(id) == model_fresh);
    }
  });
}
