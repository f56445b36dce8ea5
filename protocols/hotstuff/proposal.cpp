// Receiving a proposal: Alg. 4 onReceiveProposal (vote when b_new.height > vheight and
// safeNode holds) followed by update(b_new) (lock and three-chain commit).
#include "protocols/hotstuff/replica.hpp"

namespace knhk::hotstuff {

void HotStuffReplica::on_proposal(NodeId from, const MessagePtr& m, bool own) {
  const Digest batch = batch_digest(proposal_in(m).block.batch);
  if (!validate_proposal(from, proposal_in(m), batch, own)) return;
  accept_proposal(from, m, batch);
}

// Filters, in order: who sent it, its signature, its hash, whether the sender leads
// the view, the block's shape, equivocation, the justify QC, the client signatures.
// Our own proposal (`own`) skips the signature, hash and client checks: propose() just
// computed them from requests checked on arrival.
bool HotStuffReplica::validate_proposal(NodeId from, const Proposal& p, const Digest& batch,
                                        bool own) {
  const View v = p.block.view;
  using Kind = EvidenceEffect::Kind;
  // Proposals may be relayed (catch-up of a lagging replica): authenticity comes from
  // the leader's signature, so evidence names the signer, and a bad signature only
  // proves something against a sender that claims to be the signer.
  if (!own && !verify_signature(p, *verifier_)) {
    reject("bad_signature", v, "proposal");
    if (p.sender == from) evidence(from, Kind::invalid_signature, "proposal signature invalid");
    return false;
  }
  from = p.sender;
  if (!own && block_hash(p.block, batch) != p.block_hash) {
    reject("block_hash_mismatch", v);
    evidence(from, Kind::protocol_violation, "signed proposal with a wrong block hash");
    return false;
  }
  if (cfg_.leader(v) != p.sender || p.block.proposer != p.sender) {
    reject("not_leader", v, "proposal from " + std::to_string(p.sender.value));
    evidence(from, Kind::protocol_violation, "signed proposal for a view it does not lead");
    return false;
  }
  if (v.value == 0 || p.block.parent != p.block.justify.block || p.block.justify.view >= v) {
    reject("malformed_block", v);
    evidence(from, Kind::protocol_violation, "block does not extend its justify QC");
    return false;
  }
  auto [seen, first] = leader_proposals_.try_emplace(v, p.block_hash);
  if (!first && seen->second != p.block_hash) {
    reject("proposal_equivocation", v);
    evidence(from, Kind::equivocation,
             "two proposals for view " + std::to_string(v.value) + ": " + seen->second.short_hex() +
                 " and " + p.block_hash.short_hex());
    return false;
  }
  // A late or duplicated delivery is benign: ignore it without counting. A proposal
  // seen again may mean our vote was lost: send it again (the collector dedups).
  if (tree_.contains(p.block_hash) && last_vote_ && last_vote_->block == p.block_hash)
    send_to(cfg_.leader(v.next()), *last_vote_);
  if (v <= exec_view_ || tree_.contains(p.block_hash)) return false;
  if (!verify_qc_from(p.block.justify, from, v)) return false;
  if (!own && !batch_signatures_ok(p.block)) {
    // Only a bad signature proves the leader forged; a MAC entry that fails here may be
    // the client's lie (protocols/common/request.hpp).
    if (!has_forged_signature(p.block.batch, *verifier_)) {
      reject("bad_request_mac", v, "in proposal");
      return false;
    }
    reject("bad_request_signature", v, "in proposal");
    evidence(from, Kind::protocol_violation, "proposal carries a forged client request");
    return false;
  }
  return true;
}

bool HotStuffReplica::batch_signatures_ok(const Block& b) {
  for (const auto& r : b.batch)
    if (!pool_.holds(r) && check_request(r, *signer_, *verifier_, cfg_.n) != RequestAuth::ok)
      return false;
  return true;
}

void HotStuffReplica::accept_proposal(NodeId from, const MessagePtr& m, const Digest& batch) {
  const Proposal& p = proposal_in(m);
  const Block& b_new = p.block;
  if (b_new.view <= exec_view_ || tree_.contains(p.block_hash)) return;
  if (!ancestry_complete(from, m)) return;
  const BlockEntry* parent = tree_.find(b_new.parent);
  if (b_new.height != parent->block->height.next() || !(parent->block->view < b_new.view)) {
    reject("bad_height", b_new.view);
    evidence(p.sender, EvidenceEffect::Kind::protocol_violation,
             "block height or view does not follow its parent");
    return;
  }
  Digest missing;
  SafeNode verdict = safety_.locked_qc.view <= exec_view_ || cfg_.has_bug(BugVariant::ignore_lock)
                         ? SafeNode::safe
                         : safe_node(tree_, b_new, safety_.locked_qc, &missing);
  if (verdict == SafeNode::missing_ancestor) {
    sync_.park(from, m);
    fetch(missing, from);
    return;
  }
  tree_.insert(std::shared_ptr<const Block>(m, &b_new), p.block_hash, batch);  // shares m
  if (!latest_proposal_ || proposal_in(latest_proposal_).block.view < b_new.view)
    latest_proposal_ = m;
  update_qc_high(b_new.justify, p.sender);
  vote_if_safe(p, verdict);
  // Bug variant: execute what was proposed, before any certificate.
  if (cfg_.has_bug(BugVariant::execute_before_commit) && b_new.view > exec_view_)
    commit_chain(p.block_hash);
  apply_update(b_new);
  enter_view(b_new.view.next());
  retry_parked();
  try_propose();
}

// The chain from the proposal down to b_exec must be in the tree before safeNode and
// the commit rule can be evaluated; otherwise park the proposal and fetch.
bool HotStuffReplica::ancestry_complete(NodeId from, const MessagePtr& m) {
  const Proposal& p = proposal_in(m);
  AncestryWalk walk = tree_.walk_to(p.block.parent, b_exec_);
  switch (walk.result) {
    case AncestryWalk::Result::reached:
      return true;
    case AncestryWalk::Result::diverged:
      reject("conflicts_with_committed", p.block.view);
      return false;
    case AncestryWalk::Result::missing:
      sync_.park(from, m);
      fetch(walk.missing, from);
      return false;
  }
  return false;
}

void HotStuffReplica::vote_if_safe(const Proposal& p, SafeNode verdict) {
  const Block& b_new = p.block;
  if (!may_vote(safety_.vheight, b_new, verdict)) {
    if (verdict == SafeNode::unsafe) reject("unsafe_proposal", b_new.view, "conflicts with lock");
    return;
  }
  // Persist vheight before the vote leaves (Alg. 4: vheight <- b_new.height).
  safety_.vheight = b_new.view;
  persist_safety();
  Vote vote{b_new.view, p.block_hash, id_, {}};
  sign(vote, *signer_);
  last_vote_ = vote;
  // Linear communication: the vote goes to the next view's leader only.
  send_to(cfg_.leader(b_new.view.next()), vote);
}

// Alg. 4 update(b*): b'' = b*.justify.node, b' = b''.justify.node, b = b'.justify.node.
void HotStuffReplica::apply_update(const Block& b_star) {
  ChainUpdate u = update_chain(tree_, b_star, safety_.locked_qc, exec_view_);
  if (u.new_lock) {
    safety_.locked_qc = *u.new_lock;
    persist_safety();
    out_->trace("lock", u.new_lock->view, 0, u.new_lock->block.short_hex());
  }
  if (u.commit) commit_chain(*u.commit);
}

}  // namespace knhk::hotstuff
