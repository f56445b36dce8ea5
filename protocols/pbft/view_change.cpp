// View changes (OSDI'99 §4.4; TOCS'02 §4.5 for liveness). A backup whose request timer
// expires multicasts VIEW-CHANGE for v+1 with its stable checkpoint certificate and the
// prepared certificates above it (the P-set). The primary of v+1 collects a quorum of them
// (V), computes the O-set — for every sequence number between the latest stable checkpoint
// min-s and the highest prepared number max-s, a pre-prepare for the batch prepared in the
// highest view, or a null request — and multicasts NEW-VIEW. Backups recompute O from V and
// accept only if it matches. Timeouts double for consecutive view changes; a replica joins a
// higher view when f+1 others ask for it.
#include <algorithm>

#include "protocols/pbft/replica.hpp"

namespace knhk::pbft {
namespace {

struct OSet {
  Seq min_s;
  Digest min_s_hash;
  const std::vector<Checkpoint>* min_s_certificate = nullptr;
  std::vector<PrePrepare> pre_prepares;  // unsigned; replica = the new primary
};

// The O-set of §4.4, computed the same way by the new primary and by every backup.
OSet compute_o_set(View v, NodeId primary, const std::vector<ViewChange>& vcs,
                   bool drop_prepared = false) {
  OSet o;
  for (const auto& vc : vcs) {
    if (!o.min_s_certificate || vc.stable_seq > o.min_s) {
      o.min_s = vc.stable_seq;
      o.min_s_hash = vc.stable_state_hash;
      o.min_s_certificate = &vc.stable_certificate;
    }
  }
  // For each n, the certificate prepared in the highest view (ties: the lower digest, so
  // that the choice never depends on the order of V).
  std::map<Seq, const PreparedCertificate*> best;
  for (const auto& vc : vcs) {
    if (drop_prepared) break;  // the deliberately wrong variant: forget the P-sets
    for (const auto& c : vc.prepared) {
      const auto& pp = c.pre_prepare;
      if (pp.seq <= o.min_s) continue;
      auto& b = best[pp.seq];
      if (!b || pp.view > b->pre_prepare.view ||
          (pp.view == b->pre_prepare.view && pp.digest < b->pre_prepare.digest))
        b = &c;
    }
  }
  Seq max_s = best.empty() ? o.min_s : best.rbegin()->first;
  static const Digest kNullDigest = batch_digest(Batch{});
  for (Seq n = o.min_s.next(); n <= max_s; n = n.next()) {
    auto it = best.find(n);
    if (it != best.end()) {
      const auto& pp = it->second->pre_prepare;
      o.pre_prepares.push_back(PrePrepare{v, n, pp.digest, pp.batch, primary, {}});
    } else {
      o.pre_prepares.push_back(PrePrepare{v, n, kNullDigest, {}, primary, {}});  // null request
    }
  }
  return o;
}

}  // namespace

Duration PbftReplica::current_timeout() const {
  auto exponent = std::min(backoff_exponent_, config_.max_backoff_exponent);
  return config_.view_timeout * (std::int64_t{1} << exponent);
}

void PbftReplica::on_view_change_timer() {
  if (active_) {
    if (pending_.empty()) return;  // a stale expiry: nothing is waiting any more
    return start_view_change(view_.next());
  }
  // A quorum moved to view_ and its primary sent no NEW-VIEW within T of our seeing that
  // quorum (§4.5.2): try the next view, waiting twice as long there.
  if (quorum_timer_running_) return start_view_change(view_.next());
  // Too few replicas asked for view_ (yet): retransmit instead of inflating the view number.
  auto it = view_change_log_.find(view_);
  if (it != view_change_log_.end() && it->second.count(id_))
    broadcast(make_message(pbft::Message{it->second.at(id_)}));
  out_->set_timer(kViewChangeTimer, config_.view_timeout);
  request_timer_armed_ = true;
}

// Replicas that asked for view_ or a later one have all left the views before it (we keep
// only each replica's highest request, so the later ones count too).
std::size_t PbftReplica::view_change_supporters() const {
  std::set<NodeId> asked;
  for (auto v = view_change_log_.lower_bound(view_); v != view_change_log_.end(); ++v)
    for (const auto& [who, vc] : v->second) asked.insert(who);
  return asked.size();
}

// TOCS'02 §4.5.2: the NEW-VIEW timer starts once 2f+1 VIEW-CHANGEs for the view are in,
// not at our own VIEW-CHANGE. A replica that asked early (e.g. the partitioned primary)
// would otherwise give up on the view just as the others arrive in it, and the honest
// replicas would keep missing each other in consecutive views.
void PbftReplica::start_new_view_timer_on_quorum() {
  if (active_ || quorum_timer_running_ || view_change_supporters() < config_.quorum) return;
  quorum_timer_running_ = true;
  if (request_timer_armed_) out_->cancel_timer(kViewChangeTimer);
  out_->set_timer(kViewChangeTimer, new_view_timeout_);
  request_timer_armed_ = true;
}

// The one place where a replica leaves a view: stop accepting normal-case messages of the
// old view, make the new view durable, then multicast VIEW-CHANGE (§4.4).
void PbftReplica::start_view_change(View v) {
  check_invariant(v > view_, "view changes move forward");
  view_ = v;
  active_ = false;
  ++view_changes_;
  queue_.clear();
  queue_head_ = 0;
  if (batch_timer_armed_) out_->cancel_timer(kBatchTimer);
  batch_timer_armed_ = false;
  persist_view();  // before VIEW-CHANGE: a restarted replica must not act in older views
  ViewChange vc = make_view_change(v);
  sign(vc, *signer_);
  view_change_log_[v][id_] = vc;
  broadcast(make_message(pbft::Message{vc}));
  // Until a quorum asks for v this timer only paces retransmissions of our VIEW-CHANGE.
  quorum_timer_running_ = false;
  new_view_timeout_ = current_timeout();  // T, 2T, 4T... for consecutive failed views
  if (backoff_exponent_ < config_.max_backoff_exponent) ++backoff_exponent_;
  if (request_timer_armed_) out_->cancel_timer(kViewChangeTimer);
  out_->set_timer(kViewChangeTimer, config_.view_timeout);
  request_timer_armed_ = true;
  out_->trace("view_change", v, low_.value, "to view " + std::to_string(v.value));
  start_new_view_timer_on_quorum();
  try_new_view();
}

ViewChange PbftReplica::make_view_change(View v) const {
  ViewChange vc;
  vc.new_view = v;
  vc.stable_seq = low_;
  vc.stable_state_hash = stable_hash_;
  vc.stable_certificate = low_.value == 0 ? std::vector<Checkpoint>{} : stable_certificate_;
  log_.for_each([&](Seq n, const Slot& slot) {
    if (n > low_ && slot.prepared) vc.prepared.push_back(slot.prepared->certificate());
  });
  vc.replica = id_;
  return vc;
}

void PbftReplica::on_view_change(NodeId from, const ViewChange& m) {
  if (m.new_view < view_ || (m.new_view == view_ && active_)) {
    // The sender retransmits because it missed our NEW-VIEW: send it again.
    if (m.new_view == view_ && active_ && is_primary() && last_new_view_)
      send(from, make_message(pbft::Message{*last_new_view_}));
    return reject("old_view");
  }
  if (!valid_view_change(m)) {
    reject("bad_view_change");
    return evidence(from, EvidenceEffect::Kind::protocol_violation, "invalid view-change");
  }
  // Keep only each replica's highest request, so a peer cannot fill memory with views.
  for (auto it = view_change_log_.upper_bound(m.new_view); it != view_change_log_.end(); ++it)
    if (it->second.count(from)) return reject("superseded_view_change");
  for (auto& [v, msgs] : view_change_log_)
    if (v < m.new_view) msgs.erase(from);
  auto& msgs = view_change_log_[m.new_view];
  if (msgs.count(from)) return reject("duplicate");
  msgs[from] = m;
  join_higher_view_if_asked();
  start_new_view_timer_on_quorum();
  if (m.new_view == view_ && !active_) try_new_view();
}

// §4.5: f+1 replicas asking for views above ours include an honest one, so the view change
// is real; join the highest view that f+1 of them have reached.
void PbftReplica::join_higher_view_if_asked() {
  std::map<NodeId, View> highest;
  for (const auto& [v, msgs] : view_change_log_)
    if (v > view_)
      for (const auto& [who, vc] : msgs)
        if (who != id_) highest[who] = std::max(highest[who], v);
  if (highest.size() < config_.weak_quorum) return;
  std::vector<View> views;
  for (const auto& [who, v] : highest) views.push_back(v);
  std::sort(views.rbegin(), views.rend());
  View target = views[config_.weak_quorum - 1];
  if (target > view_) start_view_change(target);
}

void PbftReplica::try_new_view() {
  if (active_ || !is_primary()) return;
  auto it = view_change_log_.find(view_);
  if (it == view_change_log_.end() || !it->second.count(id_)) return;
  if (it->second.size() < config_.quorum) return;
  NewView nv;
  nv.view = view_;
  nv.view_changes.push_back(it->second.at(id_));
  for (const auto& [who, vc] : it->second)
    if (who != id_ && nv.view_changes.size() < config_.quorum) nv.view_changes.push_back(vc);
  auto o = compute_o_set(view_, id_, nv.view_changes, drop_prepared());
  for (auto& pp : o.pre_prepares) {
    sign(pp, *signer_);
    nv.pre_prepares.push_back(std::move(pp));
  }
  nv.replica = id_;
  sign(nv, *signer_);
  enter_view(view_, nv);  // persists the view and the O-set before the broadcast
  broadcast(make_message(pbft::Message{nv}));
}

void PbftReplica::on_new_view(const NewView& m, bool embedded) {
  if (m.view < view_ || (m.view == view_ && active_)) return reject("old_view");
  if (embedded && !verify(m, *verifier_)) return reject("bad_signature");
  const char* reason = nullptr;
  if (!valid_new_view(m, reason)) {
    reject(reason);
    return evidence(m.replica, EvidenceEffect::Kind::protocol_violation, "invalid new-view");
  }
  enter_view(m.view, m);
}

bool PbftReplica::valid_view_change(const ViewChange& m) const {
  if (m.new_view.value == 0 || m.replica.value >= config_.n) return false;
  if (!valid_checkpoint_certificate(m.stable_seq, m.stable_state_hash, m.stable_certificate))
    return false;
  if (m.prepared.size() > config_.log_window) return false;
  std::set<Seq> seqs;
  for (const auto& c : m.prepared) {
    if (!seqs.insert(c.pre_prepare.seq).second) return false;
    if (!valid_prepared_certificate(c, m.new_view, m.stable_seq)) return false;
  }
  return true;
}

// A pre-prepare signed by its view's primary and 2f matching prepares from distinct backups.
bool PbftReplica::valid_prepared_certificate(const PreparedCertificate& c, View before,
                                             Seq low) const {
  const auto& pp = c.pre_prepare;
  if (pp.view >= before || pp.seq <= low || pp.seq.value > low.value + config_.log_window)
    return false;
  if (pp.replica != config_.primary(pp.view) || batch_digest(pp.batch) != pp.digest) return false;
  if (!verify(pp, *verifier_)) return false;
  std::set<NodeId> signers;
  for (const auto& p : c.prepares) {
    if (p.view != pp.view || p.seq != pp.seq || p.digest != pp.digest) return false;
    if (p.replica == pp.replica || p.replica.value >= config_.n) return false;
    if (!signers.insert(p.replica).second || !verify(p, *verifier_)) return false;
  }
  return signers.size() + 1 >= config_.quorum;
}

// NEW-VIEW validation (§4.4): signed by the primary of its view, a quorum of valid
// VIEW-CHANGE messages for that view from distinct replicas, and exactly the O-set that
// those messages determine.
bool PbftReplica::valid_new_view(const NewView& m, const char*& reason) const {
  reason = "not_primary";
  if (m.replica != config_.primary(m.view)) return false;
  reason = "bad_new_view";
  std::set<NodeId> senders;
  for (const auto& vc : m.view_changes) {
    if (vc.new_view != m.view || !senders.insert(vc.replica).second) return false;
    if (!verify(vc, *verifier_) || !valid_view_change(vc)) return false;
  }
  if (senders.size() < config_.quorum) return false;
  auto o = compute_o_set(m.view, m.replica, m.view_changes, drop_prepared());
  if (o.pre_prepares.size() != m.pre_prepares.size()) return false;
  for (std::size_t i = 0; i < o.pre_prepares.size(); ++i) {
    const auto& want = o.pre_prepares[i];
    const auto& got = m.pre_prepares[i];
    if (got.view != want.view || got.seq != want.seq || got.digest != want.digest ||
        got.replica != want.replica || batch_digest(got.batch) != got.digest)
      return false;
    if (!verify(got, *verifier_)) return false;
  }
  return true;
}

// The one place where a replica starts operating in a view (after NEW-VIEW).
void PbftReplica::enter_view(View v, const NewView& nv) {
  check_invariant(v >= view_, "views only move forward");
  view_ = v;
  active_ = true;
  last_new_view_ = nv;
  persist_view();
  view_change_log_.erase(view_change_log_.begin(), view_change_log_.upper_bound(v));
  out_->trace("new_view", v, nv.pre_prepares.size(),
              is_primary() ? "primary" : "backup of " + std::to_string(nv.replica.value));
  if (request_timer_armed_) out_->cancel_timer(kViewChangeTimer);
  request_timer_armed_ = false;
  adopt_new_view_checkpoint(nv);
  install_o_set(nv);
  update_request_timer();
  if (is_primary()) {
    queue_.clear();
    queue_head_ = 0;
    pending_.for_each([&](RequestKey key, const PendingRequest&) {
      if (!in_flight_.contains(key)) queue_.push_back(key);
      return true;
    });
    propose_batches(false);
  }
}

// The V-set's latest stable checkpoint min-s becomes ours: mark it stable if we executed
// it with the same state, or fetch the state if we are behind it.
void PbftReplica::adopt_new_view_checkpoint(const NewView& nv) {
  auto o = compute_o_set(nv.view, nv.replica, nv.view_changes, drop_prepared());
  if (o.min_s <= low_) return;
  if (o.min_s > last_executed_) {
    proven_stable_ = std::max(proven_stable_, o.min_s);
    return request_state();
  }
  for (const auto& c : *o.min_s_certificate) checkpoint_log_[o.min_s][c.replica] = c;
  check_stable(o.min_s);
}

// Replaces the log above min-s with the O-set. Entries of earlier views that O does not
// carry were not prepared by a quorum and are dropped (their requests stay pending).
void PbftReplica::install_o_set(const NewView& nv) {
  std::set<Seq> carried;
  for (const auto& pp : nv.pre_prepares) carried.insert(pp.seq);
  log_.for_each([&](Seq n, Slot& slot) {
    if (slot.executed || carried.count(n) || !slot.pre_prepare) return;
    slot.pre_prepare.reset();
    slot.batch.reset();
    slot.prepare_sent = slot.commit_sent = slot.committed = false;
  });
  in_flight_.clear();
  log_.for_each([&](Seq, const Slot& slot) {
    if (slot.pre_prepare && slot.pre_prepare->view == view_ && !slot.executed)
      for (const auto& r : slot.pre_prepare->batch)
        in_flight_.insert(RequestKey{r.client, r.id}, {});
  });
  Seq highest = std::max(low_, last_executed_);
  for (const auto& pp : nv.pre_prepares) {
    highest = std::max(highest, pp.seq);
    if (pp.seq <= low_ || pp.seq > high_watermark()) continue;
    const Slot* logged = log_.find(pp.seq);
    if (logged && logged->executed && logged->pre_prepare &&
        logged->pre_prepare->digest != pp.digest) {
      // Only possible with more than f faulty replicas; keep what executed.
      out_->trace("new_view_conflicts_with_executed", view_, pp.seq.value);
      continue;
    }
    accept_pre_prepare(std::make_shared<const PrePrepare>(pp));
  }
  if (is_primary()) next_seq_ = highest.next();
}

}  // namespace knhk::pbft
