// HotStuff rewrites: what changes, and whether the result still verifies under the
// Byzantine node's own key.
#include <catch2/catch.hpp>

#include "faults/mutations.hpp"

using namespace knhk;
using namespace knhk::faults;

namespace {

struct Keys {
  SimKeyRing ring{11};
  std::unique_ptr<Signer> signer = ring.signer(Principal::replica(NodeId(1)));
  std::shared_ptr<const Verifier> verifier = ring.verifier();
};

hotstuff::Proposal proposal(const Signer& s, std::size_t requests) {
  hotstuff::Proposal p;
  p.block.view = View(5);
  p.block.height = Height(3);
  p.block.proposer = NodeId(1);
  for (std::size_t i = 0; i < requests; ++i)
    p.block.batch.push_back(
        Request{ClientId(static_cast<std::uint32_t>(i)), RequestId(1), {1}, {}, {}});
  hotstuff::sign(p, s);
  return p;
}

const hotstuff::Message& hs(const MessagePtr& m) {
  return std::get<hotstuff::Message>(m->body);
}

}  // namespace

TEST_CASE("hotstuff: corrupt digest keeps a valid signature over a wrong block hash",
          "[faults][mutations]") {
  Keys k;
  auto p = proposal(*k.signer, 2);
  auto bad = with_corrupt_digest(*make_message(hotstuff::Message(p)), *k.signer);
  REQUIRE(bad);
  const auto& q = std::get<hotstuff::Proposal>(hs(bad));
  CHECK(q.block_hash != hotstuff::block_hash(q.block));
  CHECK(hotstuff::verify_signature(q, *k.verifier));
}

TEST_CASE("hotstuff: an alternative proposal is a different, consistent block",
          "[faults][mutations]") {
  Keys k;
  auto p = proposal(*k.signer, 2);
  auto alt = alternative_proposal(*make_message(hotstuff::Message(p)), *k.signer);
  REQUIRE(alt);
  const auto& q = std::get<hotstuff::Proposal>(hs(alt));
  CHECK(q.block.view == p.block.view);
  CHECK(q.block.height == p.block.height);
  CHECK(q.block.batch.size() == 1);
  CHECK(q.block_hash == hotstuff::block_hash(q.block));
  CHECK(q.block_hash != p.block_hash);
  CHECK(hotstuff::verify_signature(q, *k.verifier));
  // A proposal with an empty batch has no alternative in this scheme.
  CHECK_FALSE(
      alternative_proposal(*make_message(hotstuff::Message(proposal(*k.signer, 0))), *k.signer));
}

TEST_CASE("hotstuff: conflicting vote and garbage signature", "[faults][mutations]") {
  Keys k;
  hotstuff::Vote v{View(5), blake2b("block"), NodeId(1), {}};
  hotstuff::sign(v, *k.signer);
  auto msg = make_message(hotstuff::Message(v));
  CHECK(is_vote(*msg));
  CHECK_FALSE(is_proposal(*msg));
  auto other = conflicting_vote(*msg, *k.signer);
  REQUIRE(other);
  const auto& w = std::get<hotstuff::Vote>(hs(other));
  CHECK(w.view == v.view);
  CHECK(w.block != v.block);
  CHECK(hotstuff::verify_signature(w, *k.verifier));
  auto garbage = with_garbage_signature(*msg);
  REQUIRE(garbage);
  CHECK_FALSE(hotstuff::verify_signature(std::get<hotstuff::Vote>(hs(garbage)), *k.verifier));
}

TEST_CASE("mutate changes exactly one field of a hotstuff vote", "[faults][mutations]") {
  Keys k;
  sim::Rng rng(5);
  hotstuff::Vote v{View(5), blake2b("block"), NodeId(1), {}};
  hotstuff::sign(v, *k.signer);
  auto msg = make_message(hotstuff::Message(v));
  for (int i = 0; i < 30; ++i) {
    auto m = with_mutation(*msg, *k.signer, rng);
    REQUIRE(m);
    const auto& w = std::get<hotstuff::Vote>(hs(m));
    CHECK((w.view != v.view) + (w.block != v.block) == 1);
    CHECK(hotstuff::verify_signature(w, *k.verifier));
  }
}

TEST_CASE("client traffic is never mistaken for protocol votes or proposals",
          "[faults][mutations]") {
  Keys k;
  auto req = make_message(Request{ClientId(0), RequestId(1), {1}, {}, {}});
  CHECK_FALSE(is_vote(*req));
  CHECK_FALSE(is_proposal(*req));
  CHECK_FALSE(conflicting_vote(*req, *k.signer));
  CHECK_FALSE(with_corrupt_digest(*req, *k.signer));
}
