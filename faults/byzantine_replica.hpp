// A Byzantine node: the real replica code, wrapped by a behaviour that rewrites, drops,
// duplicates or forges its outgoing effects. It signs only with its own key (the
// replica's signer); it cannot produce another node's signature.
//
// `equivocate` in HotStuff is the fork attack of hotstuff_fork.hpp.
//
// `twin` runs a second instance of the replica with the same keys (Twins, Bano et al.
// 2020). Both instances run from boot: while the behaviour is inactive the second is a
// silent shadow fed the same inputs; while active, messages from side A reach twin A and
// those from side B twin B (a node on both sides reaches both), each twin sends only to
// its own side, and client requests are split by client id parity (even: A, odd: B) so
// that the twins, like twins in different partitions, see different requests. Timer ids
// are remapped (id*2 for A, id*2+1 for B) so the host keeps the twins' timers apart.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "faults/hotstuff_fork.hpp"
#include "faults/spec.hpp"
#include "protocols/common/host.hpp"
#include "sim/rng.hpp"
#include "sim/simulation.hpp"

namespace knhk::faults {

// Which twin sent a message, shared by every Byzantine node of a run, so that twins of
// two different nodes can talk twin-to-twin (A with A, B with B) although the network
// knows each node only by its id. Looked up by message identity (the simulator delivers
// the sender's MessagePtr itself); never iterated for output, so addresses reach no result.
class TwinTags {
 public:
  void tag(const MessagePtr& m, int twin);
  std::optional<int> twin_of(const MessagePtr& m) const;

 private:
  std::map<const Message*, std::pair<std::weak_ptr<const Message>, int>> tags_;
  std::size_t since_prune_ = 0;
};

// Shared by the fault schedule (which switches behaviours on and off) and every
// incarnation of the node's ByzantineReplica (a restart builds a new one).
class ByzantineControl {
 public:
  ByzantineControl(NodeId node, std::uint32_t nodes, std::uint64_t seed,
                   std::optional<std::vector<Group>> twin_split,
                   std::shared_ptr<TwinTags> tags = std::make_shared<TwinTags>(),
                   std::shared_ptr<ForkRegistry> forks = std::make_shared<ForkRegistry>());

  void activate(const ByzantineFault& f) { active_ = f; }
  void deactivate() { active_.reset(); }
  const std::optional<ByzantineFault>& active() const { return active_; }
  bool active(Behavior b) const { return active_ && active_->behavior == b; }

  NodeId node() const { return node_; }
  std::uint32_t nodes() const { return nodes_; }
  bool has_twin() const { return twin_sides_.has_value(); }
  // Side membership for twin/equivocate: `split` when given, else the other replicas
  // by id, first half on side 0 and second half on side 1.
  bool on_side(const std::vector<Group>& split, int side, NodeId n) const;
  const std::vector<Group>& twin_sides() const { return *twin_sides_; }
  sim::Rng& rng() { return rng_; }
  TwinTags& tags() { return *tags_; }
  const std::shared_ptr<ForkRegistry>& forks() const { return forks_; }

 private:
  NodeId node_;
  std::uint32_t nodes_;
  sim::Rng rng_;
  std::optional<std::vector<Group>> twin_sides_;
  std::optional<ByzantineFault> active_;
  std::shared_ptr<TwinTags> tags_;
  std::shared_ptr<ForkRegistry> forks_;  // HotStuff fork blocks, shared by the run's nodes
};

class ByzantineReplica : public Replica {
 public:
  ByzantineReplica(const ReplicaSetup& setup, const sim::ReplicaFactory& base,
                   std::shared_ptr<ByzantineControl> control);
  void step(Time now, const Input& input, Effects& out) override;
  ReplicaStatus status() const override { return primary_->status(); }

 private:
  void rewrite(Effects& in, Effects& out);
  void emit(std::optional<NodeId> to, const MessagePtr& msg, Effects& out);
  void equivocate(std::optional<NodeId> to, const MessagePtr& msg, Effects& out);
  void fork(std::optional<NodeId> to, const MessagePtr& msg, Effects& out);
  void learn_own_proposals(const Effects& effects);
  void replay(std::optional<NodeId> to, const MessagePtr& msg, Effects& out);
  void step_twins(Time now, const Input& input, Effects& out);
  void step_twin(int k, Time now, const Input& input, bool active, Effects& out);
  std::vector<NodeId> side_members(int side) const;

  std::shared_ptr<const Signer> signer_;
  std::shared_ptr<ByzantineControl> control_;
  std::unique_ptr<Replica> primary_;
  std::unique_ptr<Replica> twin_;
  std::unique_ptr<HotStuffForker> forker_;  // HotStuff: `equivocate` is a fork attack
  Effects scratch_;
  std::deque<MessagePtr> history_;  // own earlier messages, for `replay`
};

}  // namespace knhk::faults
