// Codec and signing of HotStuff messages.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "protocols/message.hpp"
#include "tests/hotstuff/chain_builder.hpp"

using namespace knhk;
using namespace knhk::hotstuff;

namespace {

hotstuff::Message round_trip(const hotstuff::Message& m) {
  knhk::Message outer{m};
  auto bytes = encode(outer);
  auto back = decode_message(bytes);
  REQUIRE(back);
  return std::get<hotstuff::Message>(back.value->body);
}

std::vector<hotstuff::Message> samples(const test::ChainBuilder& c) {
  Block b1 = c.block(genesis_block(), View(1), {c.request(1), c.request(2, 2)});
  Block b2 = c.block(b1, View(2));
  NewView nv{View(3), c.qc(b2), {}, {}};
  sign(nv, *c.signer(NodeId(3)));
  BlockRequest rq{block_hash(b1), 16, {}, {}};
  sign(rq, *c.signer(NodeId(0)));
  return {c.proposal(b1),
          c.proposal(b2),
          c.vote(b2, NodeId(1)),
          nv,
          rq,
          c.response(block_hash(b2), {b2, b1}, NodeId(2))};
}

}  // namespace

TEST_CASE("every hotstuff message round-trips through the outer codec and keeps its signature") {
  test::ChainBuilder c(4);
  for (const auto& m : samples(c)) {
    INFO(type_name(m));
    auto back = round_trip(m);
    REQUIRE(back == m);
    REQUIRE(verify_signature(back, *c.verifier()));
  }
}

TEST_CASE("type names are stable per message kind") {
  test::ChainBuilder c(4);
  auto s = samples(c);
  CHECK(type_name(s[0]) == "hotstuff.proposal");
  CHECK(type_name(s[2]) == "hotstuff.vote");
  CHECK(type_name(s[3]) == "hotstuff.new_view");
  CHECK(type_name(s[4]) == "hotstuff.block_request");
  CHECK(type_name(s[5]) == "hotstuff.block_response");
}

TEST_CASE("a mutated message fails verification until re-signed by the mutator's own key") {
  test::ChainBuilder c(4);
  Block b1 = c.block(genesis_block(), View(1), {c.request(1)});
  Proposal p = c.proposal(b1);
  p.block.batch.clear();
  // The stated hash no longer matches the block, and the signature covers that hash.
  CHECK(block_hash(p.block) != p.block_hash);
  hotstuff::Message m = p;
  sign(m, *c.signer(NodeId(1)));
  auto& resigned = std::get<Proposal>(m);
  CHECK(resigned.block_hash == block_hash(resigned.block));
  CHECK(verify_signature(m, *c.verifier()));
  // Re-signing with another node's key makes it that node's message, not node 1's.
  sign(m, *c.signer(NodeId(2)));
  CHECK(claimed_sender(m) == NodeId(2));
  std::get<Proposal>(m).sender = NodeId(1);
  CHECK_FALSE(verify_signature(m, *c.verifier()));
}

TEST_CASE("decoder rejects non-canonical QCs and truncated input") {
  test::ChainBuilder c(4);
  Block b1 = c.block(genesis_block(), View(1));
  Block b2 = c.block(b1, View(2));
  NewView nv{View(3), c.qc(b2), {}, {}};
  std::swap(nv.high_qc.votes[0], nv.high_qc.votes[1]);  // unsorted voters
  sign(nv, *c.signer(NodeId(3)));
  auto bytes = encode(knhk::Message{hotstuff::Message(nv)});
  CHECK_FALSE(decode_message(bytes));
  auto good = encode(knhk::Message{hotstuff::Message(c.proposal(b2))});
  for (std::size_t cut = 0; cut < good.size(); cut += 7) {
    Bytes prefix(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
    CHECK_FALSE(decode_message(prefix));
  }
}

TEST_CASE("decoding random bytes after the hotstuff family tag never crashes") {
  rc::check([](std::vector<std::uint8_t> tail, std::uint8_t type) {
    Bytes bytes{4, static_cast<std::uint8_t>(type % 6)};
    bytes.insert(bytes.end(), tail.begin(), tail.end());
    auto d = decode_message(bytes);
    RC_ASSERT(d.value.has_value() || !d.error.empty());
  });
}

TEST_CASE("a vote round-trips for any view and voter") {
  test::ChainBuilder c(4);
  rc::check([&](std::uint64_t view, std::uint8_t voter) {
    Vote v{View(view), blake2b(std::to_string(view)), {}, {}};
    sign(v, *c.signer(NodeId(voter % 4)));
    RC_ASSERT(std::get<Vote>(round_trip(v)) == v);
  });
}
