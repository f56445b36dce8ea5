#include "faults/byzantine_replica.hpp"

#include <algorithm>

#include "faults/mutations.hpp"

namespace knhk::faults {
namespace {

constexpr std::size_t kReplayHistory = 256;

void send_or_broadcast(std::optional<NodeId> to, const MessagePtr& msg, Effects& out) {
  if (to)
    out.send(*to, msg);
  else
    out.broadcast(msg);
}

}  // namespace

void TwinTags::tag(const MessagePtr& m, int twin) {
  tags_[m.get()] = {m, twin};
  if (++since_prune_ < 4096) return;
  since_prune_ = 0;
  std::erase_if(tags_, [](const auto& entry) { return entry.second.first.expired(); });
}

std::optional<int> TwinTags::twin_of(const MessagePtr& m) const {
  auto it = tags_.find(m.get());
  // A freed message's address may be reused: trust the tag only if it is the same object.
  if (it == tags_.end() || it->second.first.lock() != m) return std::nullopt;
  return it->second.second;
}

ByzantineControl::ByzantineControl(NodeId node, std::uint32_t nodes, std::uint64_t seed,
                                   std::optional<std::vector<Group>> twin_split,
                                   std::shared_ptr<TwinTags> tags,
                                   std::shared_ptr<ForkRegistry> forks)
    : node_(node),
      nodes_(nodes),
      rng_(sim::derive_seed(seed, "byzantine-" + std::to_string(node.value))),
      twin_sides_(std::move(twin_split)),
      tags_(std::move(tags)),
      forks_(std::move(forks)) {}

bool ByzantineControl::on_side(const std::vector<Group>& split, int side, NodeId n) const {
  if (split.size() == 2) {
    const Group& g = split[static_cast<std::size_t>(side)];
    return std::find(g.begin(), g.end(), n.value) != g.end();
  }
  // Default: the other replicas by id, first half and second half.
  std::vector<std::uint32_t> others;
  for (std::uint32_t i = 0; i < nodes_; ++i)
    if (i != node_.value) others.push_back(i);
  auto half = others.size() / 2;
  auto it = std::find(others.begin(), others.end(), n.value);
  if (it == others.end()) return false;
  auto index = static_cast<std::size_t>(it - others.begin());
  return side == 0 ? index < half : index >= half;
}

ByzantineReplica::ByzantineReplica(const ReplicaSetup& setup, const sim::ReplicaFactory& base,
                                   std::shared_ptr<ByzantineControl> control)
    : signer_(setup.signer), control_(std::move(control)), primary_(base(setup)) {
  if (control_->has_twin())
    twin_ = base(setup);  // same id, same keys
  else if (setup.params.kind == ProtocolKind::hotstuff)
    forker_ = std::make_unique<HotStuffForker>(setup, control_->forks());
}

void ByzantineReplica::step(Time now, const Input& input, Effects& out) {
  if (twin_) return step_twins(now, input, out);
  if (forker_ && forker_->on_input(input, control_->active(Behavior::equivocate), out)) return;
  scratch_.clear();
  primary_->step(now, input, scratch_);
  if (forker_) learn_own_proposals(scratch_);
  rewrite(scratch_, out);
}

void ByzantineReplica::learn_own_proposals(const Effects& effects) {
  for (const auto& e : effects.list) {
    const MessagePtr* msg = nullptr;
    if (auto* s = std::get_if<SendEffect>(&e)) msg = &s->msg;
    if (auto* b = std::get_if<BroadcastEffect>(&e)) msg = &b->msg;
    if (!msg) continue;
    if (auto* h = std::get_if<hotstuff::Message>(&(*msg)->body))
      if (auto* p = std::get_if<hotstuff::Proposal>(h)) forker_->on_own_proposal(*p);
  }
}

void ByzantineReplica::rewrite(Effects& in, Effects& out) {
  if (!control_->active()) {
    for (auto& e : in.list) out.list.push_back(std::move(e));
    return;
  }
  const bool silent = control_->active(Behavior::silent);
  for (auto& e : in.list) {
    if (auto* s = std::get_if<SendEffect>(&e)) {
      emit(s->to, s->msg, out);
    } else if (auto* b = std::get_if<BroadcastEffect>(&e)) {
      emit(std::nullopt, b->msg, out);
    } else if (std::holds_alternative<ReplyEffect>(e) && silent) {
      continue;  // silent sends nothing, replies included
    } else {
      out.list.push_back(std::move(e));
    }
  }
}

void ByzantineReplica::emit(std::optional<NodeId> to, const MessagePtr& msg, Effects& out) {
  auto put = [&](const MessagePtr& m) { send_or_broadcast(to, m, out); };
  const ByzantineFault& f = *control_->active();
  switch (f.behavior) {
    case Behavior::silent:
      return;
    case Behavior::invalid_signature: {
      auto bad = with_garbage_signature(*msg);
      return put(bad ? bad : msg);
    }
    case Behavior::corrupt_digest: {
      auto bad = with_corrupt_digest(*msg, *signer_);
      return put(bad ? bad : msg);
    }
    case Behavior::replay:
      return replay(to, msg, out);
    case Behavior::withhold_votes:
      if (!is_proposal(*msg)) put(msg);
      return;
    case Behavior::mutate: {
      MessagePtr changed;
      if (control_->rng().bernoulli(f.mutate_probability()))
        changed = with_mutation(*msg, *signer_, control_->rng());
      return put(changed ? changed : msg);
    }
    case Behavior::conflicting_votes: {
      put(msg);
      if (is_vote(*msg))
        if (auto other = conflicting_vote(*msg, *signer_)) put(other);
      return;
    }
    case Behavior::equivocate:
      return equivocate(to, msg, out);
    case Behavior::twin:
      return put(msg);  // routing happens in step_twins
  }
}

std::vector<NodeId> ByzantineReplica::side_members(int side) const {
  const auto& split = control_->active() ? control_->active()->split : std::vector<Group>{};
  std::vector<NodeId> members;
  for (std::uint32_t i = 0; i < control_->nodes(); ++i)
    if (NodeId(i) != control_->node() && control_->on_side(split, side, NodeId(i)))
      members.push_back(NodeId(i));
  return members;
}

// As leader: side 0 gets the real proposal, side 1 a different batch for the same slot;
// its own votes go the same way (the original to side 0, a vote for another value to
// side 1), so each side sees a consistent leader.
void ByzantineReplica::equivocate(std::optional<NodeId> to, const MessagePtr& msg, Effects& out) {
  if (forker_) return fork(to, msg, out);
  MessagePtr alt;
  if (is_proposal(*msg)) alt = alternative_proposal(*msg, *signer_);
  if (!alt && is_vote(*msg)) alt = conflicting_vote(*msg, *signer_);
  if (!alt) return send_or_broadcast(to, msg, out);
  for (int side = 0; side < 2; ++side)
    for (NodeId n : side_members(side))
      if (!to || *to == n) out.send(n, side == 0 ? msg : alt);
}

// HotStuff (hotstuff_fork.hpp): side 0 sees the honest leader, its proposal and its vote;
// side 1 the other block (the fork, or another batch), and the node's vote goes to that
// block (the forker sends it), or nothing when the proposal is withheld from it. When the
// forker has nothing else to show, it proposes honestly.
void ByzantineReplica::fork(std::optional<NodeId> to, const MessagePtr& msg, Effects& out) {
  const auto* h = std::get_if<hotstuff::Message>(&msg->body);
  const auto* proposal = h ? std::get_if<hotstuff::Proposal>(h) : nullptr;
  const auto* vote = h ? std::get_if<hotstuff::Vote>(h) : nullptr;
  const std::vector<NodeId> side0 = side_members(0), side1 = side_members(1);
  ForkAction action;
  if (proposal) action = forker_->fork_for(*proposal, side0, side1, control_->rng(), out);
  const bool split = action.alt || action.withhold || (vote && forker_->forked_in(vote->view));
  if (!split) return send_or_broadcast(to, msg, out);
  const auto& colluders = control_->forks()->colluders();
  auto on_side0 = [&](NodeId n) { return std::find(side0.begin(), side0.end(), n) != side0.end(); };
  for (NodeId n : side0)
    if (!to || *to == n) out.send(n, msg);
  for (NodeId n : side1) {
    if (to && *to != n) continue;
    if (action.alt) out.send(n, action.alt);
    // Withheld from side 1, except from the colluders (their votes certify it).
    if (action.withhold && colluders.count(n) && !on_side0(n)) out.send(n, msg);
  }
}

// Sends the message, then one of its own earlier (validly signed) messages again.
void ByzantineReplica::replay(std::optional<NodeId> to, const MessagePtr& msg, Effects& out) {
  auto put = [&](const MessagePtr& m) { send_or_broadcast(to, m, out); };
  put(msg);
  if (!history_.empty()) put(history_[control_->rng().below(history_.size())]);
  history_.push_back(msg);
  if (history_.size() > kReplayHistory) history_.pop_front();
}

void ByzantineReplica::step_twins(Time now, const Input& input, Effects& out) {
  const bool active = control_->active(Behavior::twin);
  const auto& sides = control_->twin_sides();
  auto on_side = [&](int k, NodeId n) { return control_->on_side(sides, k, n); };
  bool to_twin[2] = {true, true};
  Input routed = input;
  if (auto* t = std::get_if<TimerInput>(&input)) {
    int k = static_cast<int>(t->id & 1);
    to_twin[1 - k] = false;
    routed = TimerInput{t->id >> 1};
  } else if (active) {
    if (auto* m = std::get_if<MessageInput>(&input)) {
      to_twin[0] = on_side(0, m->from);
      to_twin[1] = on_side(1, m->from);
      // From another node's twin: twin k talks to twin k only.
      if (auto k = control_->tags().twin_of(m->msg)) to_twin[1 - *k] = false;
    } else if (auto* c = std::get_if<ClientRequestInput>(&input)) {
      int k = static_cast<int>(c->request->client.value & 1);
      to_twin[1 - k] = false;
    }
  }
  for (int k = 0; k < 2; ++k)
    if (to_twin[k]) step_twin(k, now, routed, active, out);
}

void ByzantineReplica::step_twin(int k, Time now, const Input& input, bool active, Effects& out) {
  scratch_.clear();
  (k == 0 ? primary_ : twin_)->step(now, input, scratch_);
  const auto& sides = control_->twin_sides();
  for (auto& e : scratch_.list) {
    if (auto* t = std::get_if<SetTimerEffect>(&e)) {
      out.set_timer(t->id * 2 + static_cast<TimerId>(k), t->after);
    } else if (auto* c = std::get_if<CancelTimerEffect>(&e)) {
      out.cancel_timer(c->id * 2 + static_cast<TimerId>(k));
    } else if (auto* s = std::get_if<SendEffect>(&e)) {
      if (!(active ? control_->on_side(sides, k, s->to) : k == 0)) continue;
      if (active) control_->tags().tag(s->msg, k);
      out.send(s->to, s->msg);
    } else if (auto* b = std::get_if<BroadcastEffect>(&e)) {
      if (!active) {
        if (k == 0) out.broadcast(b->msg);
        continue;
      }
      control_->tags().tag(b->msg, k);
      for (std::uint32_t i = 0; i < control_->nodes(); ++i)
        if (NodeId(i) != control_->node() && control_->on_side(sides, k, NodeId(i)))
          out.send(NodeId(i), b->msg);
    } else if (std::holds_alternative<ReplyEffect>(e)) {
      if (k == 0 || active) out.list.push_back(std::move(e));  // each twin serves its clients
    } else if (k == 0) {
      out.list.push_back(std::move(e));  // commits, persistence, evidence: twin A's only
    }
  }
}

}  // namespace knhk::faults
