// Signature checks a replica skips because it made the signature itself: its own
// proposal, vote and NEW-VIEW (self inbox), and its own share in a QC (equal bytes
// only). Counted with a verifier that records every call.
#include <catch2/catch.hpp>

#include <map>

#include "protocols/hotstuff/replica.hpp"
#include "tests/hotstuff/chain_builder.hpp"

using namespace knhk;
using namespace knhk::hotstuff;
using test::ChainBuilder;
using test::sent;
using testing::RecordingHost;

namespace {

class CountingVerifier final : public Verifier {
 public:
  explicit CountingVerifier(std::shared_ptr<const Verifier> inner) : inner_(std::move(inner)) {}
  bool verify(Principal signer, std::span<const std::uint8_t> message,
              const Signature& sig) const override {
    ++calls_[signer];
    return inner_->verify(signer, message, sig);
  }
  int calls(NodeId replica) const {
    auto it = calls_.find(Principal::replica(replica));
    return it == calls_.end() ? 0 : it->second;
  }
  int total() const {
    int n = 0;
    for (const auto& [p, k] : calls_) n += k;
    return n;
  }
  void reset() { calls_.clear(); }

 private:
  std::shared_ptr<const Verifier> inner_;
  mutable std::map<Principal, int> calls_;
};

struct Counted {
  std::shared_ptr<CountingVerifier> verifier;
  RecordingHost host;
};

// A replica of `c` (strict rotation: view v led by v mod n) whose checks are counted.
Counted counted_replica(const ChainBuilder& c, NodeId id) {
  auto verifier = std::make_shared<CountingVerifier>(c.verifier());
  ReplicaSetup s{c.params(), id, c.signer(id), verifier};
  HotStuffConfig cfg = HotStuffConfig::from(s.params);
  cfg.views_per_leader = 1;
  return Counted{verifier, RecordingHost(std::make_unique<HotStuffReplica>(s, cfg))};
}

}  // namespace

TEST_CASE("a replica does not verify its own share of a QC, only equal bytes count as its own",
          "[hotstuff][verification]") {
  ChainBuilder c(4);
  auto [verifier, host] = counted_replica(c, NodeId(3));
  host.start();
  Block b1 = c.block(genesis_block(), View(1), {c.request(1)});
  host.deliver(NodeId(1), hotstuff::Message(c.proposal(b1)));
  REQUIRE(sent<Vote>(host.all()).size() == 1);  // replica 3 voted for b1

  SECTION("its share is taken as is; the others' shares and the proposal are verified") {
    Block b2 = c.block(b1, View(2));
    b2.justify = c.qc(b1, 1);  // voters 1, 2, 3
    verifier->reset();
    host.deliver(NodeId(2), hotstuff::Message(c.proposal(b2)));
    CHECK(verifier->calls(NodeId(3)) == 0);
    CHECK(verifier->calls(NodeId(2)) == 2);  // the proposal and voter 2's share
    CHECK(verifier->calls(NodeId(1)) == 1);
    CHECK(host.replica().status().rejected.empty());
    CHECK(host.replica().status().view == View(3));  // it voted for b2 (to itself, leader of 3)
  }
  SECTION("a share claiming to be ours with other bytes is verified and refused") {
    Block b2 = c.block(b1, View(2));
    b2.justify = c.qc(b1, 1);
    b2.justify.votes[2].signature[0] ^= 1;  // voter 3's share
    host.deliver(NodeId(2), hotstuff::Message(c.proposal(b2)));
    CHECK(host.replica().status().rejected.at("qc_bad_signature") == 1);
    CHECK(sent<Vote>(host.all()).size() == 1);  // no vote for b2
  }
}

TEST_CASE("a leader does not verify its own proposal, vote or new-view",
          "[hotstuff][verification]") {
  ChainBuilder c(4);
  auto [verifier, host] = counted_replica(c, NodeId(2));  // leads view 2
  host.start();
  Block b1 = c.block(genesis_block(), View(1), {c.request(1)});
  host.deliver(NodeId(1), hotstuff::Message(c.proposal(b1)));  // its own vote goes to itself
  host.deliver(NodeId(0), hotstuff::Message(c.vote(b1, NodeId(0))));
  auto& formed = host.deliver(NodeId(3), hotstuff::Message(c.vote(b1, NodeId(3))));
  REQUIRE(sent<Proposal>(formed).size() == 1);  // it proposed b2 and handled it itself
  CHECK(verifier->calls(NodeId(2)) == 0);
  CHECK(verifier->calls(NodeId(0)) == 1);
  CHECK(verifier->calls(NodeId(3)) == 1);
  // A view timeout: its NEW-VIEW reaches itself unverified too.
  host.fire(kViewTimer);
  CHECK(verifier->calls(NodeId(2)) == 0);
}
