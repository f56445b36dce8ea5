// The trace's view/seq of a message, found generically in every protocol's messages.
#include <catch2/catch.hpp>

#include "protocols/message.hpp"
#include "sim/message_info.hpp"

using namespace knhk;
using knhk::sim::message_info;

TEST_CASE("message info: PBFT messages give view and sequence number", "[sim][trace]") {
  pbft::Prepare prepare;
  prepare.view = View(3);
  prepare.seq = Seq(9);
  auto info = message_info(Message{pbft::Message{prepare}});
  REQUIRE(info.view == std::optional<std::uint64_t>(3));
  REQUIRE(info.seq == std::optional<std::uint64_t>(9));

  pbft::ViewChange vc;
  vc.new_view = View(5);
  vc.stable_seq = Seq(128);
  info = message_info(Message{pbft::Message{vc}});
  REQUIRE(info.view == std::optional<std::uint64_t>(5));
  REQUIRE(info.seq == std::optional<std::uint64_t>(128));
}

TEST_CASE("message info: HotStuff proposals give the block's view and height", "[sim][trace]") {
  hotstuff::Proposal p;
  p.block.view = View(7);
  p.block.height = Height(6);
  const auto info = message_info(Message{hotstuff::Message{p}});
  REQUIRE(info.view == std::optional<std::uint64_t>(7));
  REQUIRE(info.seq == std::optional<std::uint64_t>(6));
  hotstuff::Vote v;
  v.view = View(8);
  REQUIRE(message_info(Message{hotstuff::Message{v}}).view == std::optional<std::uint64_t>(8));
}

TEST_CASE("message info: client traffic gives the request id", "[sim][trace]") {
  Request r{ClientId(1), RequestId(42), {}, {}};
  auto info = message_info(Message{r});
  REQUIRE(info.seq == std::optional<std::uint64_t>(42));
  REQUIRE_FALSE(info.view.has_value());
  Reply reply;
  reply.view = View(2);
  reply.id = RequestId(43);
  info = message_info(Message{reply});
  REQUIRE(info.view == std::optional<std::uint64_t>(2));
  REQUIRE(info.seq == std::optional<std::uint64_t>(43));
}
