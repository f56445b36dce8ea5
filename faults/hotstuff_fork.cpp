#include "faults/hotstuff_fork.hpp"

#include <algorithm>

namespace knhk::faults {
namespace {

// Bounded memory: blocks, forks and votes older than this many views are forgotten.
constexpr std::uint64_t kViewsKept = 64;
constexpr std::size_t kPruneAbove = 512;

bool older_than_window(View v, View newest) {
  return v.value + kViewsKept < newest.value;
}

}  // namespace

void ForkRegistry::add(const Digest& block, View view, const std::vector<NodeId>& side) {
  blocks_[block] = Entry{view, side};
  newest_ = std::max(newest_, view);
  if (blocks_.size() > kPruneAbove)
    std::erase_if(blocks_,
                  [&](const auto& e) { return older_than_window(e.second.view, newest_); });
}

const std::vector<NodeId>& ForkRegistry::side_of(const Digest& block) const {
  static const std::vector<NodeId> kNone;
  auto it = blocks_.find(block);
  return it == blocks_.end() ? kNone : it->second.side;
}

HotStuffForker::HotStuffForker(const ReplicaSetup& setup, std::shared_ptr<ForkRegistry> registry)
    : id_(setup.id),
      cfg_(hotstuff::HotStuffConfig::from(setup.params)),
      signer_(setup.signer),
      verifier_(setup.verifier),
      registry_(std::move(registry)) {}

bool HotStuffForker::on_input(const Input& input, bool attacking, Effects& out) {
  auto* m = std::get_if<MessageInput>(&input);
  if (!m) return false;
  auto* h = std::get_if<hotstuff::Message>(&m->msg->body);
  if (!h) return false;
  if (auto* p = std::get_if<hotstuff::Proposal>(h)) {
    learn(p->block, hotstuff::block_hash(p->block));
    if (attacking) support(*p, out);
    return false;
  }
  if (auto* r = std::get_if<hotstuff::BlockResponse>(h)) {
    for (const auto& b : r->blocks) learn(b, hotstuff::block_hash(b));
    return false;
  }
  if (attacking) registry_->join(id_);
  auto* v = std::get_if<hotstuff::Vote>(h);
  if (!v || !attacking || !registry_->contains(v->block) || v->voter != m->from) return false;
  if (cfg_.leader(v->view.next()) != id_ || !hotstuff::verify_signature(*v, *verifier_))
    return false;  // not ours to collect; the replica judges it
  collect(*v, out);
  return true;
}

void HotStuffForker::on_own_proposal(const hotstuff::Proposal& p) {
  learn(p.block, p.block_hash);
}

void HotStuffForker::learn(const hotstuff::Block& b, const Digest& hash) {
  if (blocks_.count(hash)) return;
  blocks_[hash] = Known{std::make_shared<const hotstuff::Block>(b), hash};
  newest_view_ = std::max(newest_view_, b.view);
  if (blocks_.size() > kPruneAbove) prune();
}

void HotStuffForker::prune() {
  std::erase_if(blocks_, [&](const auto& e) {
    return older_than_window(e.second.block->view, newest_view_);
  });
  std::erase_if(forks_, [&](const auto& e) { return older_than_window(e.first, newest_view_); });
  std::erase_if(withheld_, [&](View v) { return older_than_window(v, newest_view_); });
  if (newest_view_.value > kViewsKept) votes_.prune_below(View(newest_view_.value - kViewsKept));
}

const hotstuff::Block* HotStuffForker::find(const Digest& hash) const {
  auto it = blocks_.find(hash);
  return it == blocks_.end() ? nullptr : it->second.block.get();
}

// A batch that differs from `b`'s: without its last request, or, for a single request
// (or none), a request of an older block (already executed: a replica that commits the
// other block skips it, so its state differs from side 0's as well).
std::optional<Batch> HotStuffForker::conflicting_batch(const hotstuff::Block& locked) const {
  if (locked.batch.size() >= 2) return Batch(locked.batch.begin(), locked.batch.end() - 1);
  const hotstuff::Block* older = nullptr;
  for (const auto& [hash, known] : blocks_) {
    const hotstuff::Block& b = *known.block;
    if (b.height < locked.height && !b.batch.empty() && b.batch != locked.batch &&
        (!older || older->height < b.height))
      older = &b;
  }
  if (!older) return std::nullopt;
  return Batch{older->batch.front()};
}

ForkAction HotStuffForker::fork_for(const hotstuff::Proposal& honest,
                                    const std::vector<NodeId>& side0,
                                    const std::vector<NodeId>& side1, sim::Rng& coin,
                                    Effects& out) {
  const View v = honest.block.view;
  registry_->join(id_);
  if (withheld_.count(v)) return {nullptr, true};
  if (auto it = forks_.find(v); it != forks_.end()) return {it->second, false};
  if (side1.empty()) return {};
  const std::uint64_t term = v.value / cfg_.views_per_leader;
  if (term_ != term) {
    term_ = term;
    plain_term_ = coin.bernoulli(0.5);
  }
  if (plain_term_) return {plain_equivocation(honest, out), false};
  // Beyond the fault budget the colluders can certify the block that would lock side 1
  // without side 1: then side 1 never sees it, stays unlocked, and even a correct
  // replica votes for the fork that follows (the attack f + 1 colluders can win).
  if (committed_by(honest.block) && certifiable_without(side1)) {
    withheld_.insert(v);
    return {nullptr, true};
  }
  return {fork_below_lock(honest, side1, out), false};
}

// For a block `top` whose QC would be carried by the next proposal: the block a0 that
// proposal commits (top <- a1 <- a0 direct parents in consecutive views, a0 with
// requests; safety.cpp update_chain), or null.
const hotstuff::Block* HotStuffForker::committed_by(const hotstuff::Block& top) const {
  const hotstuff::Block* a1 = find(top.justify.block);
  const hotstuff::Block* a0 = a1 ? find(a1->justify.block) : nullptr;
  if (!a0 || a0->view.value == 0 || a0->batch.empty()) return nullptr;
  const bool direct = top.parent == top.justify.block && a1->parent == a1->justify.block &&
                      top.view.value == a1->view.value + 1 && a1->view.value == a0->view.value + 1;
  return direct ? a0 : nullptr;
}

// Whether the colluders and the honest replicas outside `side1` make a quorum.
bool HotStuffForker::certifiable_without(const std::vector<NodeId>& side1) const {
  std::uint32_t voters = 0;
  for (std::uint32_t i = 0; i < cfg_.n; ++i) {
    const NodeId n(i);
    if (registry_->colluders().count(n) || std::find(side1.begin(), side1.end(), n) == side1.end())
      ++voters;
  }
  return voters >= cfg_.quorum;
}

// The same parent and QC, another batch: side 0 and side 1 see two blocks for one view.
MessagePtr HotStuffForker::plain_equivocation(const hotstuff::Proposal& honest, Effects& out) {
  auto batch = conflicting_batch(honest.block);
  if (!batch) return nullptr;
  hotstuff::Proposal p = honest;
  p.block.batch = std::move(*batch);
  hotstuff::sign(p, *signer_);
  learn(p.block, p.block_hash);
  auto msg = make_message(hotstuff::Message(p));
  forks_[p.block.view] = msg;
  vote_for_fork(p.block.view, p.block_hash, out);
  return msg;
}

MessagePtr HotStuffForker::fork_below_lock(const hotstuff::Proposal& honest,
                                           const std::vector<NodeId>& side, Effects& out) {
  const View v = honest.block.view;
  // The honest proposal commits a0 at whoever processes it.
  const hotstuff::Block* a2 = find(honest.block.justify.block);
  const hotstuff::Block* a0 = a2 ? committed_by(*a2) : nullptr;
  if (!a0) return nullptr;
  auto batch = conflicting_batch(*a0);
  if (!batch) return nullptr;
  // The fork: a sibling of a0 justified by a0's own (older than the lock) QC.
  hotstuff::Proposal p;
  p.block.parent = a0->parent;
  p.block.view = v;
  p.block.height = a0->height;
  p.block.proposer = id_;
  p.block.justify = a0->justify;
  p.block.batch = std::move(*batch);
  hotstuff::sign(p, *signer_);
  registry_->add(p.block_hash, v, side);
  learn(p.block, p.block_hash);
  auto msg = make_message(hotstuff::Message(p));
  forks_[v] = msg;
  vote_for_fork(v, p.block_hash, out);
  return msg;
}

// A proposal that extends the fork (from any leader): it joins the fork; vote for it.
void HotStuffForker::support(const hotstuff::Proposal& p, Effects& out) {
  if (cfg_.leader(p.block.view) != p.sender || p.block.parent != p.block.justify.block) return;
  const Digest hash = hotstuff::block_hash(p.block);
  if (!registry_->contains(hash)) {
    if (!registry_->contains(p.block.parent)) return;
    const std::vector<NodeId> side = registry_->side_of(p.block.parent);
    registry_->add(hash, p.block.view, side);
  }
  vote_for_fork(p.block.view, hash, out);
}

void HotStuffForker::vote_for_fork(View view, const Digest& block, Effects& out) {
  if (view <= fork_vheight_) return;  // one fork vote per view
  fork_vheight_ = view;
  hotstuff::Vote vote{view, block, id_, {}};
  hotstuff::sign(vote, *signer_);
  const NodeId leader = cfg_.leader(view.next());
  if (leader == id_)
    collect(vote, out);
  else
    out.send(leader, make_message(hotstuff::Message(vote)));
}

void HotStuffForker::collect(const hotstuff::Vote& v, Effects& out) {
  auto outcome = votes_.add(v, cfg_.quorum);
  if (outcome.kind == hotstuff::VoteCollector::Outcome::Kind::formed) extend_fork(*outcome.qc, out);
}

// A QC for a fork block at this node: if it leads the next view, it extends the fork
// itself (an empty block, to the fork's side) and votes for the extension.
void HotStuffForker::extend_fork(const hotstuff::QuorumCert& qc, Effects& out) {
  const View next = qc.view.next();
  const hotstuff::Block* parent = find(qc.block);
  if (cfg_.leader(next) != id_ || !parent || forks_.count(next)) return;
  hotstuff::Proposal p;
  p.block.parent = qc.block;
  p.block.view = next;
  p.block.height = parent->height.next();
  p.block.proposer = id_;
  p.block.justify = qc;
  hotstuff::sign(p, *signer_);
  const std::vector<NodeId> side = registry_->side_of(qc.block);
  registry_->add(p.block_hash, next, side);
  learn(p.block, p.block_hash);
  auto msg = make_message(hotstuff::Message(p));
  forks_[next] = msg;
  for (NodeId n : side) out.send(n, msg);
  vote_for_fork(next, p.block_hash, out);
}

}  // namespace knhk::faults
