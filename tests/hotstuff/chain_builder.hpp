// Test helper: builds blocks, QCs and signed proposals for a HotStuff cluster whose
// keys the test holds, so a single replica can be fed a scripted chain.
#pragma once

#include <memory>

#include "protocols/common/crypto.hpp"
#include "protocols/factory.hpp"
#include "protocols/hotstuff/messages.hpp"
#include "protocols/hotstuff/replica.hpp"
#include "protocols/testing/recording_host.hpp"

namespace knhk::hotstuff::test {

class ChainBuilder {
 public:
  explicit ChainBuilder(std::uint32_t n, std::uint64_t seed = 7)
      : n_(n), keys_(CryptoScheme::sim, seed, n, 4) {}

  std::uint32_t n() const { return n_; }
  std::uint32_t quorum() const { return QuorumRules{n_}.quorum(); }
  NodeId leader(View v) const { return NodeId(static_cast<std::uint32_t>(v.value % n_)); }
  std::unique_ptr<Signer> signer(NodeId id) const { return keys_.signer(Principal::replica(id)); }
  std::shared_ptr<const Verifier> verifier() const { return keys_.verifier(); }

  ProtocolParams params() const {
    ProtocolParams p;
    p.kind = ProtocolKind::hotstuff;
    p.nodes = n_;
    p.batch_size = 1;
    p.app = AppKind::noop;
    p.view_timeout = Duration::millis_(100);
    return p;
  }
  // A replica with the paper's strict per-view leader rotation (views_per_leader = 1),
  // so that scripted chains can pick each view's leader.
  std::unique_ptr<Replica> replica(NodeId id, BugVariant bug = BugVariant::none) const {
    ReplicaSetup s{params(), id, signer(id), verifier()};
    s.params.bug = bug;
    HotStuffConfig cfg = HotStuffConfig::from(s.params);
    cfg.views_per_leader = 1;
    return std::make_unique<HotStuffReplica>(s, cfg);
  }

  Request request(std::uint64_t id, std::uint32_t client = 1) const {
    auto s = keys_.signer(Principal::client(ClientId(client)));
    return make_signed_request(ClientId(client), RequestId(id), Bytes{1, 2, 3}, *s);
  }

  // QC over `b` signed by the replicas `first`, `first`+1, ... (quorum of them).
  QuorumCert qc(const Block& b, std::uint32_t first = 0) const {
    if (b.view.value == 0) return genesis_qc();
    QuorumCert q{b.view, block_hash(b), {}};
    for (std::uint32_t i = 0; i < quorum(); ++i) {
      NodeId voter((first + i) % n_);
      q.votes.push_back(VoteShare{voter, signer(voter)->sign(vote_body(q.view, q.block))});
    }
    std::sort(q.votes.begin(), q.votes.end(),
              [](const VoteShare& a, const VoteShare& b) { return a.voter < b.voter; });
    return q;
  }

  // A block in `view` by its leader, extending `parent` with justify = QC(parent).
  Block block(const Block& parent, View view, Batch batch = {}) const {
    Block b;
    b.parent = block_hash(parent);
    b.view = view;
    b.height = parent.height.next();
    b.proposer = leader(view);
    b.justify = qc(parent);
    b.batch = std::move(batch);
    return b;
  }

  Proposal proposal(const Block& b) const { return proposal_by(b, b.proposer); }
  Proposal proposal_by(const Block& b, NodeId signer_id) const {
    Proposal p{b, {}, {}, {}};
    sign(p, *signer(signer_id));
    return p;
  }
  Vote vote(const Block& b, NodeId voter) const {
    Vote v{b.view, block_hash(b), voter, {}};
    sign(v, *signer(voter));
    return v;
  }
  BlockResponse response(const Digest& requested, std::vector<Block> blocks, NodeId from) const {
    BlockResponse r{requested, std::move(blocks), from, {}};
    sign(r, *signer(from));
    return r;
  }

 private:
  std::uint32_t n_;
  ClusterKeys keys_;
};

template <class T>
std::vector<T> sent(const std::vector<Effect>& effects) {
  return testing::RecordingHost::sent<T>(effects);
}
template <class E>
std::vector<E> effects_of(const std::vector<Effect>& effects) {
  return testing::RecordingHost::effects_of<E>(effects);
}

}  // namespace knhk::hotstuff::test
