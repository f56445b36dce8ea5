// The leader's side: collecting votes into a QC (Alg. 4 onReceiveVote), keeping
// qc_high (updateQCHigh), and proposing a new leaf on top of it (onPropose), one
// block per view. Batching: full batches go at once, partial ones once their oldest
// request has waited batch_timeout, empty blocks only while an uncommitted block still
// needs the three-chain to close; an idle leader proposes nothing.
#include <set>

#include "protocols/hotstuff/replica.hpp"

namespace knhk::hotstuff {

void HotStuffReplica::on_vote(NodeId from, const Vote& v, bool own) {
  if (v.voter != from) {
    reject("sender_mismatch", v.view, "vote");
    return;
  }
  if (cfg_.leader(v.view.next()) != id_) {
    reject("vote_not_for_leader", v.view);
    return;
  }
  if (v.view.value > pacemaker_.current_view().value + cfg_.max_views_ahead) {
    reject("view_too_far_ahead", v.view, "vote");
    return;
  }
  // A vote after the QC moved past its view is a benign late arrival.
  if (v.view < qc_high_.view || v.view <= exec_view_) return;
  if (!own && !verify_signature(v, *verifier_)) {
    reject("bad_vote_signature", v.view, "from " + std::to_string(from.value));
    evidence(from, EvidenceEffect::Kind::invalid_signature, "vote signature invalid");
    return;
  }
  auto outcome = votes_.add(v, cfg_.quorum);
  using Kind = VoteCollector::Outcome::Kind;
  switch (outcome.kind) {
    case Kind::added:
    case Kind::duplicate:
      return;
    case Kind::equivocation:
      reject("vote_equivocation", v.view, "from " + std::to_string(from.value));
      evidence(from, EvidenceEffect::Kind::equivocation,
               "two votes in view " + std::to_string(v.view.value) + ": " +
                   outcome.other_block->short_hex() + " and " + v.block.short_hex());
      return;
    case Kind::formed:
      on_qc_formed(*outcome.qc);
      return;
  }
}

void HotStuffReplica::on_qc_formed(const QuorumCert& qc) {
  qc_cache_.add(qc);
  out_->trace("qc", qc.view, 0, qc.block.short_hex());
  update_qc_high(qc, cfg_.leader(qc.view));
  // Holding a QC for the previous view's block lets this leader propose at once.
  const View next = qc.view.next();
  if (cfg_.leader(next) == id_ && (!ready_view_ || *ready_view_ < next)) ready_view_ = next;
  try_propose();
}

// Alg. 4 updateQCHigh: keep the QC for the highest block; it is what leaders extend.
void HotStuffReplica::update_qc_high(const QuorumCert& qc, NodeId source) {
  if (qc.view <= qc_high_.view) return;
  qc_high_ = qc;
  pacemaker_.on_progress();
  enter_view(qc.view.next());
  if (!tree_.contains(qc.block) && qc.view > exec_view_) fetch(qc.block, source);
}

void HotStuffReplica::try_propose() {
  if (!ready_view_ || *ready_view_ <= last_proposed_view_) return;
  const View v = *ready_view_;
  // A leader votes for its own proposal at once, so vheight (durable) covers every view
  // it proposed in, also across a restart: never a second block for one view.
  if (qc_high_.view >= v || v <= safety_.vheight) {
    ready_view_.reset();
    return;
  }
  const bool forced = forced_view_ && *forced_view_ == v;
  if (batch_timer_armed_ && !batch_deadline_passed_ && !forced &&
      pool_.size() < rescan_at_pool_size_)
    return;  // still waiting for a full batch or the timer; nothing new can fill it
  const BlockEntry* parent = tree_.find(qc_high_.block);
  if (!parent) {
    fetch(qc_high_.block, cfg_.leader(qc_high_.view));
    return;
  }
  std::optional<Batch> batch = choose_batch(v, parent->hash);
  if (!batch) return;
  propose(v, *parent, std::move(*batch));
}

std::optional<Batch> HotStuffReplica::choose_batch(View v, const Digest& parent) {
  // Requests in uncommitted ancestors are already on their way: never propose twice.
  std::set<RequestKey> in_flight;
  for (Digest cur = parent; cur != b_exec_;) {
    const BlockEntry* e = tree_.find(cur);
    if (!e || e->committed) break;
    for (const auto& r : e->block->batch) in_flight.insert(key_of(r));
    cur = e->block->parent;
  }
  Time oldest = now_;
  Batch reqs = pool_.select(
      cfg_.batch_size,
      [&](const RequestKey& k) {
        return in_flight.count(k) != 0 || sm_.already_executed(k.first, k.second);
      },
      &oldest);
  const bool forced = forced_view_ && *forced_view_ == v;
  const bool full = reqs.size() >= cfg_.batch_size;
  // batch_timeout bounds how long a request waits for its batch to fill, counted from
  // its arrival: under load, the oldest request has usually waited that long already,
  // while the previous block was being certified, and the partial batch goes at once
  // (waiting again once the QC is there cost up to batch_timeout per block).
  const Duration waited = now_ - oldest;
  const bool timed_out =
      batch_deadline_passed_ || cfg_.batch_timeout.ns <= 0 || waited.ns >= cfg_.batch_timeout.ns;
  if (!reqs.empty() && (full || forced || timed_out)) return reqs;
  if (!reqs.empty()) {
    rescan_at_pool_size_ = pool_.size() + (cfg_.batch_size - reqs.size());
    if (!batch_timer_armed_) {
      out_->set_timer(kBatchTimer, cfg_.batch_timeout - waited);
      batch_timer_armed_ = true;
    }
    return std::nullopt;
  }
  // Nothing new: an empty block only to drive the commit of pending ones.
  if (forced || has_uncommitted_payload(parent)) return Batch{};
  return std::nullopt;
}

bool HotStuffReplica::has_uncommitted_payload(const Digest& from) const {
  for (Digest cur = from; cur != b_exec_;) {
    const BlockEntry* e = tree_.find(cur);
    if (!e || e->committed) return false;
    if (!e->block->batch.empty()) return true;
    cur = e->block->parent;
  }
  return false;
}

// Alg. 4 onPropose: b_new <- createLeaf(qc_high.node, cmds, qc_high), broadcast it.
void HotStuffReplica::propose(View v, const BlockEntry& parent, Batch batch) {
  Proposal p;
  p.block.parent = parent.hash;
  p.block.view = v;
  p.block.height = parent.block->height.next();
  p.block.proposer = id_;
  p.block.justify = qc_high_;
  p.block.batch = std::move(batch);
  sign(p, *signer_);
  last_proposed_view_ = v;
  ready_view_.reset();
  forced_view_.reset();
  batch_deadline_passed_ = false;
  rescan_at_pool_size_ = 0;
  if (batch_timer_armed_) {
    out_->cancel_timer(kBatchTimer);
    batch_timer_armed_ = false;
  }
  out_->trace("propose", v, p.block.height.value,
              std::to_string(p.block.batch.size()) + " requests, " + p.block_hash.short_hex());
  enter_view(v);
  out_->set_timer(kRetransmitTimer, retransmit_interval());
  own_proposal_ = make_message(hotstuff::Message(std::move(p)));
  out_->broadcast(own_proposal_);
  self_inbox_.push_back(own_proposal_);
}

Duration HotStuffReplica::retransmit_interval() const {
  return Duration{std::max<std::int64_t>(cfg_.view_timeout.ns / 4, 1)};
}

// Still no QC for our proposal: it or the votes may have been lost. Re-broadcast it;
// replicas that voted re-send their votes, the others vote now. This repeats for as long
// as the QC is still awaited (our own vote moved us to the proposal's view + 1; a timeout
// moves us beyond): a fixed count (once 2) covered only part of a backed-off view
// timeout, leaving a correct leader idle after heavy loss.
void HotStuffReplica::on_retransmit_timer() {
  if (!own_proposal_) return;
  const View v = proposal_in(own_proposal_).block.view;
  if (qc_high_.view >= v || pacemaker_.current_view().value > v.value + 1) return;
  out_->trace("retransmit", v, 0, "proposal");
  out_->broadcast(own_proposal_);
  out_->set_timer(kRetransmitTimer, retransmit_interval());
}

}  // namespace knhk::hotstuff
