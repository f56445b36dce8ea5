// The trace's view/seq of a message, found generically in every protocol's messages.
#include <catch2/catch.hpp>

#include "protocols/message.hpp"
#include "sim/message_info.hpp"

#include <map>
#include <string_view>
#include <utility>
#include <vector>

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
  Request r{ClientId(1), RequestId(42), {}, {}, {}};
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

namespace {
// One default-constructed message of every alternative of a (nested) message variant.
template <class Variant, class Wrap>
void each_alternative(Wrap wrap, std::vector<Message>& out) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (out.push_back(wrap(Variant{std::in_place_index<I>})), ...);
  }
  (std::make_index_sequence<std::variant_size_v<Variant>>{});
}
}  // namespace

TEST_CASE("message info: the kind identifies the message type name", "[sim][trace]") {
  std::vector<Message> all{Message{Request{}}, Message{Reply{}}};
  each_alternative<pbft::Message>([](pbft::Message m) { return Message{std::move(m)}; }, all);
  each_alternative<hotstuff::Message>([](hotstuff::Message m) { return Message{std::move(m)}; },
                                      all);
  REQUIRE(all.size() ==
          2 + std::variant_size_v<pbft::Message> + std::variant_size_v<hotstuff::Message>);
  std::map<std::uint32_t, std::string_view> name_of_kind;
  std::map<std::string_view, std::uint32_t> kind_of_name;
  for (const Message& m : all) {
    const std::uint32_t kind = message_info(m).kind;
    name_of_kind.emplace(kind, type_name(m));
    kind_of_name.emplace(type_name(m), kind);
    REQUIRE(name_of_kind.at(kind) == type_name(m));  // one name per kind
  }
  // Every type its own kind: as many kinds as names as alternatives.
  REQUIRE(name_of_kind.size() == all.size());
  REQUIRE(kind_of_name.size() == all.size());
}
