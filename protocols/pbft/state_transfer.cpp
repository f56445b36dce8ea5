// State transfer (TOCS'02 §6.2, simplified: whole snapshots instead of a partition tree).
// A replica that is behind asks one peer at a time (rotating) for what it is missing. The
// answer carries the responder's stable checkpoint with its quorum certificate (and the
// snapshot when the requester has not executed that far), the committed batches after it,
// each with a pre-prepare signed by its view's primary and a quorum of matching commits,
// and the NEW-VIEW of the responder's view when the requester is in an older one.
// Everything is verified against its certificate before it touches our state, so a single
// Byzantine responder can at worst waste our time.
#include <algorithm>

#include "protocols/pbft/replica.hpp"

namespace knhk::pbft {

void PbftReplica::request_state() {
  if (last_fetch_.ns >= 0 && now_ - last_fetch_ < config_.retransmit_interval) return;
  last_fetch_ = now_;
  fetch_rotation_ = (fetch_rotation_ + 1) % config_.n;
  if (fetch_rotation_ == id_.value) fetch_rotation_ = (fetch_rotation_ + 1) % config_.n;
  NodeId target(fetch_rotation_);
  send(target, signed_message(StateRequest{view_, last_executed_, id_, {}}));
  out_->trace("state_request", view_, last_executed_.value, "to " + std::to_string(target.value));
}

void PbftReplica::on_state_request(NodeId from, const StateRequest& m) {
  StateResponse resp;
  resp.replica = id_;
  if (low_.value > 0) {
    auto snap = checkpoint_snapshots_.find(low_);
    check_invariant(snap != checkpoint_snapshots_.end(), "snapshot of the stable checkpoint");
    CheckpointTransfer cp{low_, stable_hash_, stable_certificate_, {}};
    if (m.last_executed < low_) cp.snapshot = snap->second.encoded;
    resp.checkpoint = std::move(cp);
  }
  Seq from_seq = std::max(m.last_executed, low_).next();
  for (Seq n = from_seq; n <= last_executed_; n = n.next()) {
    if (resp.entries.size() >= config_.max_transfer_entries) break;
    const Slot* slot = log_.find(n);
    if (!slot || !slot->proof) break;
    resp.entries.push_back(slot->proof->entry());
  }
  if (m.view < view_ && active_ && last_new_view_) resp.new_view = *last_new_view_;
  bool useful = resp.new_view || !resp.entries.empty() ||
                (resp.checkpoint && m.last_executed < resp.checkpoint->seq);
  if (!useful) return;
  send(from, signed_message(std::move(resp)));
}

void PbftReplica::on_state_response(NodeId from, const StateResponse& m) {
  if (m.checkpoint && m.checkpoint->seq > low_) {
    if (!install_transferred_checkpoint(*m.checkpoint)) {
      reject("bad_state_transfer");
      return evidence(from, EvidenceEffect::Kind::protocol_violation, "invalid checkpoint proof");
    }
  }
  for (const auto& e : m.entries) {
    if (e.pre_prepare.seq <= last_executed_) continue;
    if (e.pre_prepare.seq != last_executed_.next()) break;
    if (!install_committed_entry(e)) {
      reject("bad_state_transfer");
      return evidence(from, EvidenceEffect::Kind::protocol_violation, "invalid commit proof");
    }
  }
  if (m.new_view) on_new_view(*m.new_view, true);
  execute_committed();
}

// Installs the snapshot of a stable checkpoint proven by a quorum certificate, or (without
// a snapshot) marks a checkpoint we executed ourselves as stable.
bool PbftReplica::install_transferred_checkpoint(const CheckpointTransfer& c) {
  if (!valid_checkpoint_certificate(c.seq, c.state_hash, c.certificate)) return false;
  if (c.seq <= last_executed_) {
    auto own = checkpoint_snapshots_.find(c.seq);
    if (own == checkpoint_snapshots_.end()) return true;  // nothing to compare with
    if (own->second.state_hash != c.state_hash) {
      on_state_mismatch(c.seq, c.state_hash, own->second.state_hash);
      return true;
    }
    mark_stable(c.seq, c.state_hash, c.certificate);
    return true;
  }
  proven_stable_ = std::max(proven_stable_, c.seq);
  if (c.snapshot.empty()) {
    request_state();  // proof that we are behind, without the state: ask for it
    return true;
  }
  auto snap = smr::decode_snapshot(c.snapshot);
  if (!snap || snap->position != c.seq || snap->state_hash != c.state_hash) return false;
  if (!sm_->install_snapshot(*snap, *out_)) return false;
  last_executed_ = c.seq;
  checkpoint_snapshots_[c.seq] = CheckpointState{snap->state_hash, c.snapshot};
  pending_.erase_if([&](RequestKey key, const PendingRequest&) {
    if (!sm_->already_executed(key.client, key.id)) return false;
    in_flight_.erase(key);
    return true;
  });
  out_->trace("state_transfer", view_, c.seq.value, c.state_hash.short_hex());
  mark_stable(c.seq, c.state_hash, c.certificate);
  return true;
}

// Executes the next batch on the strength of its commit certificate: a quorum of commits
// means at least f+1 honest replicas prepared it, so it is committed (§4.2's committed()).
bool PbftReplica::install_committed_entry(const CommittedEntry& e) {
  const auto& pp = e.pre_prepare;
  check_invariant(pp.seq == last_executed_.next(), "entries install in order");
  if (pp.replica != config_.primary(pp.view) || batch_digest(pp.batch) != pp.digest) return false;
  if (!verify(pp, *verifier_)) return false;
  std::set<NodeId> signers;
  for (const auto& c : e.commits) {
    if (c.view != pp.view || c.seq != pp.seq || c.digest != pp.digest) return false;
    if (c.replica.value >= config_.n || !signers.insert(c.replica).second) return false;
    if (!verify(c, *verifier_)) return false;
  }
  if (signers.size() < config_.quorum) return false;
  Slot& slot = slot_at(pp.seq);
  if (slot.pre_prepare && slot.pre_prepare->view == view_ && slot.pre_prepare->digest != pp.digest)
    out_->trace("transfer_overrides_pre_prepare", view_, pp.seq.value);
  slot.set_pre_prepare(std::make_shared<const PrePrepare>(pp));
  slot.committed = true;
  slot.proof = CommitProof{slot.pre_prepare, e.commits};
  execute_slot(pp.seq, slot);
  return true;
}

}  // namespace knhk::pbft
