// HotStuff `equivocate` as a fork attack from below the lock (docs/scenarios.md).
//
// Plain equivocation (two batches on one parent) can never break a quorum-based protocol:
// neither block gets n - f votes. What the locking rule of HotStuff (Yin et al. 2019,
// Alg. 4 safeNode) exists for is the attack below, so it is the one an equivocating
// HotStuff leader mounts:
//
// Each term it leads (views_per_leader consecutive views) the leader picks, by its seeded
// coin, plain equivocation (every proposal of the term: side 1 gets the same parent with
// another batch) or the fork:
//
//   1. The leader lies in wait, proposing honestly, until its own next proposal N would
//      make some replica commit a block A carrying requests: N.justify = QC(A''), with
//      A <- A' <- A'' a chain of direct parents in consecutive views. Every replica that
//      voted for A'' is locked on A.
//   2. It sends N to side 0 of the split (they commit A) and, to side 1, a conflicting
//      block C forked from *below* the lock: parent A.parent, justify A.justify (an older
//      QC than the lock), the same height as A, a different batch. It votes for C.
//   3. It keeps voting for every block that extends C (the Byzantine nodes of a run share
//      the fork, so they all do), collects the votes sent to it for fork blocks, and when
//      it leads the next view extends the fork itself, to side 1.
//
// A correct replica locked on A refuses C (C does not extend A and its justify QC is
// older than the lock), so within f faults the fork never gets a QC. A replica that
// ignores its lock votes for C; with side 1 plus the colluding Byzantine votes a quorum,
// C gathers a three-chain and side 1 commits C where side 0 committed A: an agreement
// violation at A's position.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "protocols/factory.hpp"
#include "protocols/hotstuff/config.hpp"
#include "protocols/hotstuff/quorum_cert.hpp"
#include "protocols/message.hpp"
#include "sim/rng.hpp"

namespace knhk::faults {

// The fork blocks of one run, shared by all its Byzantine nodes (they collude): a block
// is in the fork when a Byzantine leader forged it or when it extends a fork block.
// Each entry remembers the side the fork is shown to. Looked up by hash only.
class ForkRegistry {
 public:
  void add(const Digest& block, View view, const std::vector<NodeId>& side);
  bool contains(const Digest& block) const { return blocks_.count(block) != 0; }
  // The replicas the fork is shown to; empty for a block not in the fork.
  const std::vector<NodeId>& side_of(const Digest& block) const;
  // The Byzantine nodes mounting the attack (each joins when its `equivocate` acts).
  void join(NodeId n) { colluders_.insert(n); }
  const std::set<NodeId>& colluders() const { return colluders_; }

 private:
  struct Entry {
    View view;
    std::vector<NodeId> side;
  };
  std::map<Digest, Entry> blocks_;
  View newest_;
  std::set<NodeId> colluders_;
};

// What the equivocating leader does with one honest proposal.
struct ForkAction {
  MessagePtr alt;         // shown to side 1 instead (the fork, or another batch); or null
  bool withhold = false;  // side 1 gets nothing (the colluders on it get the honest block)
};

class HotStuffForker {
 public:
  HotStuffForker(const ReplicaSetup& setup, std::shared_ptr<ForkRegistry> registry);

  // Every input of the node, before its replica sees it. Learns blocks from proposals and
  // block-sync answers. While `attacking`: votes for blocks that extend the fork, and
  // collects the votes sent to this node for fork blocks — those are consumed (true) and
  // never reach the replica.
  bool on_input(const Input& input, bool attacking, Effects& out);
  // Every proposal the node's own replica sends (learned like received ones).
  void on_own_proposal(const hotstuff::Proposal& p);
  // For the node's honest proposal, shown to `side0`: what `side1` gets (the fork, or in a
  // plain term another batch on the same parent; nothing when it proposes honestly now).
  // The same for a retransmission. `coin` picks each term's strategy.
  ForkAction fork_for(const hotstuff::Proposal& honest, const std::vector<NodeId>& side0,
                      const std::vector<NodeId>& side1, sim::Rng& coin, Effects& out);
  // Whether the node forked in `view`: its replica's vote for the honest block of that
  // view must then reach side 0 only (side 1 sees a leader that voted for the fork).
  bool forked_in(View view) const { return forks_.count(view) != 0; }

 private:
  struct Known {
    std::shared_ptr<const hotstuff::Block> block;
    Digest hash;
  };
  void learn(const hotstuff::Block& b, const Digest& hash);
  const hotstuff::Block* find(const Digest& hash) const;
  std::optional<Batch> conflicting_batch(const hotstuff::Block& locked) const;
  const hotstuff::Block* committed_by(const hotstuff::Block& top) const;
  bool certifiable_without(const std::vector<NodeId>& side0) const;
  MessagePtr fork_below_lock(const hotstuff::Proposal& honest, const std::vector<NodeId>& side,
                             Effects& out);
  MessagePtr plain_equivocation(const hotstuff::Proposal& honest, Effects& out);
  void support(const hotstuff::Proposal& p, Effects& out);
  void vote_for_fork(View view, const Digest& block, Effects& out);
  void collect(const hotstuff::Vote& v, Effects& out);
  void extend_fork(const hotstuff::QuorumCert& qc, Effects& out);
  void prune();

  NodeId id_;
  hotstuff::HotStuffConfig cfg_;
  std::shared_ptr<const Signer> signer_;
  std::shared_ptr<const Verifier> verifier_;
  std::shared_ptr<ForkRegistry> registry_;
  std::map<Digest, Known> blocks_;  // blocks seen, by hash (bounded, pruned by view)
  View newest_view_;
  std::map<View, MessagePtr> forks_;   // fork blocks this node forged, by view
  std::set<View> withheld_;            // views whose proposal side 1 did not get
  hotstuff::VoteCollector votes_;      // votes for fork blocks sent to this node
  View fork_vheight_;                  // highest view it voted in for the fork
  std::optional<std::uint64_t> term_;  // the term whose strategy is drawn
  bool plain_term_ = false;
};

}  // namespace knhk::faults
