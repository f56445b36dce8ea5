// The pacemaker (Alg. 5): round-robin leaders, view timeouts with exponential
// back-off, NEW-VIEW carrying qc_high to the next leader. The view timer runs only
// while there is work (requests waiting, or uncommitted blocks with requests), so an
// idle cluster does not spin through views.
#include "protocols/hotstuff/pacemaker.hpp"

#include <algorithm>

#include "protocols/hotstuff/replica.hpp"

namespace knhk::hotstuff {

bool Pacemaker::advance_to(View v) {
  if (v <= cur_view_) return false;
  cur_view_ = v;
  return true;
}

View Pacemaker::on_timeout() {
  ++consecutive_timeouts_;
  cur_view_ = cfg_.next_leader_view(cur_view_);
  return cur_view_;
}

Duration Pacemaker::timeout() const {
  const std::uint32_t exp = std::min(consecutive_timeouts_, cfg_.max_backoff_exponent);
  return cfg_.view_timeout * (std::int64_t{1} << exp);
}

std::size_t Pacemaker::add_new_view(View view, NodeId sender, const QuorumCert& high_qc) {
  auto& senders = new_views_[view];
  senders.emplace(sender, high_qc);
  return senders.size();
}

std::optional<QuorumCert> Pacemaker::highest_new_view_qc(View view) const {
  auto it = new_views_.find(view);
  if (it == new_views_.end() || it->second.empty()) return std::nullopt;
  const QuorumCert* best = nullptr;
  for (const auto& [sender, qc] : it->second)
    if (!best || qc.view > best->view) best = &qc;
  return *best;
}

void Pacemaker::prune_below(View view) {
  while (!new_views_.empty() && new_views_.begin()->first < view)
    new_views_.erase(new_views_.begin());
}

// ---- the replica's pacemaker handlers ----

void HotStuffReplica::enter_view(View v) {
  if (!pacemaker_.advance_to(v)) return;
  // Progress: the view timer restarts for the new view.
  if (has_work()) {
    out_->set_timer(kViewTimer, pacemaker_.timeout());
    view_timer_armed_ = true;
  }
}

void HotStuffReplica::on_view_timeout() {
  const View v = pacemaker_.on_timeout();
  ++view_changes_;
  out_->trace("view_timeout", v, pacemaker_.consecutive_timeouts(),
              "next timeout " + to_string(pacemaker_.timeout()));
  announce_view(v);
  if (has_work()) {
    out_->set_timer(kViewTimer, pacemaker_.timeout());
    view_timer_armed_ = true;
  }
}

void HotStuffReplica::on_new_view(NodeId from, const NewView& m, bool own) {
  if (m.sender != from) {
    reject("sender_mismatch", m.view, "new_view");
    return;
  }
  if (!own && !verify_signature(m, *verifier_)) {
    reject("bad_signature", m.view, "new_view");
    evidence(from, EvidenceEffect::Kind::invalid_signature, "new-view signature invalid");
    return;
  }
  if (m.view.value > pacemaker_.current_view().value + cfg_.max_views_ahead) {
    reject("view_too_far_ahead", m.view, "new_view");
    return;
  }
  if (m.high_qc.view >= m.view) {
    reject("malformed_new_view", m.view);
    return;
  }
  if (!verify_qc_from(m.high_qc, from, m.view)) return;
  update_qc_high(m.high_qc, from);
  // The sender is behind us: hand it our newest proposal so that it catches up
  // through block sync even when the cluster is otherwise idle.
  if (m.high_qc.view < qc_high_.view && latest_proposal_) out_->send(from, latest_proposal_);
  if (m.view > pacemaker_.current_view()) sync_view(from, m.view);
  if (cfg_.leader(m.view) != id_) return;
  if (m.view <= last_proposed_view_) return;  // late: this view was already served
  if (pacemaker_.add_new_view(m.view, from, m.high_qc) < cfg_.quorum) return;
  // n - f replicas are in this view: propose on the highest QC among them (which
  // update_qc_high already made ours), even an empty block.
  if (!ready_view_ || *ready_view_ < m.view) ready_view_ = m.view;
  forced_view_ = m.view;
  out_->trace("new_view_quorum", m.view, 0, "qc_high view " + std::to_string(qc_high_.view.value));
  try_propose();
}

bool HotStuffReplica::has_work() const {
  return !pool_.empty() || has_uncommitted_payload(qc_high_.block);
}

void HotStuffReplica::refresh_view_timer() {
  const bool work = has_work();
  if (work && !view_timer_armed_) {
    out_->set_timer(kViewTimer, pacemaker_.timeout());
    view_timer_armed_ = true;
  } else if (!work && view_timer_armed_) {
    out_->cancel_timer(kViewTimer);
    view_timer_armed_ = false;
  }
}

}  // namespace knhk::hotstuff

namespace knhk::hotstuff {

// NEW-VIEW(v, qc_high) goes to every replica, not only to v's leader: the leader needs
// n - f of them, and the others use them to find a view to meet in (below). This makes
// a view change O(n^2) messages; the steady state stays linear.
void HotStuffReplica::announce_view(View v) {
  NewView m{v, qc_high_, id_, {}};
  sign(m, *signer_);
  broadcast(std::move(m));
  announced_view_ = v;
  if (!new_view_timer_armed_) {
    out_->set_timer(kNewViewTimer, retransmit_interval());
    new_view_timer_armed_ = true;
  }
}

// Loss: the view's leader proposes only with n - f NEW-VIEWs, and each is sent once.
// If some are lost (found by fuzzing: scenarios/regressions/
// hotstuff-silent-plus-partition.yaml) a correct leader of a quorum of correct
// replicas sits out a whole backed-off timeout, and the next leader may be faulty.
// So, like a proposal, a NEW-VIEW is re-sent while we are still in its view and the
// leader has not proposed there (a proposal moves us to the next view). Only to the
// leader: it alone needs them, keeping the repeat O(n) per interval.
void HotStuffReplica::on_new_view_timer() {
  const View v = pacemaker_.current_view();
  const NodeId leader = cfg_.leader(v);
  // Idle replicas stay quiet (as their view timer does); the leader counts its own.
  if (v != announced_view_ || leader == id_ || leader_proposals_.count(v) != 0 || !has_work())
    return;
  NewView m{v, qc_high_, id_, {}};
  sign(m, *signer_);
  out_->trace("retransmit", v, 0, "new_view");
  send_to(leader, std::move(m));
  out_->set_timer(kNewViewTimer, retransmit_interval());
  new_view_timer_armed_ = true;
}

// View synchronization: replicas that timed out at different moments can sit in
// different views forever (same back-off, offset by whole leader terms). When f + 1
// replicas announce views above ours, at least one correct replica is at or above the
// (f+1)-th highest of them: move there and announce it, so a quorum meets.
void HotStuffReplica::sync_view(NodeId from, View announced) {
  View& latest = announced_views_[from];
  latest = std::max(latest, announced);
  std::vector<View> higher;
  for (const auto& [node, v] : announced_views_)
    if (v > pacemaker_.current_view()) higher.push_back(v);
  if (higher.size() < cfg_.f + 1) return;
  std::sort(higher.begin(), higher.end(), std::greater<View>());
  const View target = higher[cfg_.f];
  out_->trace("view_sync", target, higher.size(),
              "from view " + std::to_string(pacemaker_.current_view().value));
  enter_view(target);
  announce_view(target);
}

}  // namespace knhk::hotstuff
