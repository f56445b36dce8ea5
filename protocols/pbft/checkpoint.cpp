// Checkpoints and garbage collection (OSDI'99 §4.3). After executing a sequence number
// that is a multiple of K a replica snapshots its state and multicasts a signed CHECKPOINT
// with the state hash; a quorum of matching checkpoints is the stable checkpoint's
// certificate: it moves the low watermark h and discards the log up to h. A quorum hash that
// differs from our own is a StateMismatch: roll back to the last stable snapshot and fetch
// the quorum's state (state_transfer.cpp).
#include <algorithm>

#include "protocols/common/errors.hpp"
#include "protocols/pbft/replica.hpp"

namespace knhk::pbft {

void PbftReplica::make_checkpoint(Seq n) {
  check_invariant(n == last_executed_, "checkpoint of the executed state");
  checkpoint_snapshots_[n] = CheckpointState{sm_->state_hash(), sm_->encoded_snapshot()};
  Checkpoint c{n, sm_->state_hash(), id_, {}};
  sign(c, *signer_);
  checkpoint_log_[n][id_] = c;
  broadcast(make_message(pbft::Message{c}));
  out_->trace("checkpoint", view_, n.value, sm_->state_hash().short_hex());
  check_stable(n);
}

void PbftReplica::on_checkpoint(NodeId from, const Checkpoint& m) {
  note_seen(m.seq);
  if (m.seq.value == 0 || m.seq.value % config_.checkpoint_interval != 0)
    return reject("bad_checkpoint_seq", m.seq.value);
  if (m.seq <= low_) {
    // The sender has not seen our stable checkpoint (it retransmits its own): answer with
    // the certificate, as a state-transfer response so that the answer is never answered.
    if (low_.value > 0) {
      StateResponse resp;
      resp.checkpoint = CheckpointTransfer{low_, stable_hash_, stable_certificate_, {}};
      resp.replica = id_;
      send(from, signed_message(std::move(resp)));
    }
    return reject("old_checkpoint", m.seq.value);
  }
  if (m.seq > high_watermark()) return reject("outside_watermarks", m.seq.value);
  auto& received = checkpoint_log_[m.seq];
  if (auto it = received.find(from); it != received.end()) {
    return reject(it->second.state_hash == m.state_hash ? "duplicate" : "conflicting_checkpoint",
                  m.seq.value);
  }
  received[from] = m;
  check_stable(m.seq);
}

// A checkpoint is stable once a quorum of replicas signed the same state hash for it.
void PbftReplica::check_stable(Seq n) {
  if (n <= low_) return;
  auto it = checkpoint_log_.find(n);
  if (it == checkpoint_log_.end()) return;
  std::map<Digest, std::vector<Checkpoint>> by_hash;
  for (const auto& [who, c] : it->second) by_hash[c.state_hash].push_back(c);
  for (auto& [hash, cert] : by_hash) {
    if (cert.size() < config_.quorum) continue;
    if (n > last_executed_) {
      // The others are ahead of us. If our log cannot take us there, fetch the state.
      proven_stable_ = std::max(proven_stable_, n);
      const Slot* next = log_.find(last_executed_.next());
      if (!next || !next->committed) request_state();
      return;
    }
    auto own = checkpoint_snapshots_.find(n);
    if (own == checkpoint_snapshots_.end()) return;  // jumped over n by state transfer
    if (own->second.state_hash != hash) return on_state_mismatch(n, hash, own->second.state_hash);
    cert.resize(config_.quorum);
    return mark_stable(n, hash, std::move(cert));
  }
}

void PbftReplica::mark_stable(Seq n, const Digest& state_hash, std::vector<Checkpoint> cert) {
  check_invariant(n > low_ && n <= last_executed_, "stable checkpoint within the executed log");
  check_invariant(checkpoint_snapshots_.count(n) == 1, "snapshot kept for the stable checkpoint");
  low_ = n;
  stable_hash_ = state_hash;
  stable_certificate_ = std::move(cert);
  persist_stable_checkpoint();
  garbage_collect(n);
  out_->trace("checkpoint_stable", view_, n.value, state_hash.short_hex());
  propose_batches(false);  // the window moved: the primary may assign more numbers
}

// Discards every log entry, checkpoint message and snapshot below the stable checkpoint.
void PbftReplica::garbage_collect(Seq n) {
  log_.erase_through(n, [&](Seq erased) { erase_slot(erased); });
  if (config_.bug == BugVariant::gc_uncommitted) {
    // Deliberately wrong: also forgets prepared-but-uncommitted entries above n.
    log_.erase_if([&](Seq seq, const Slot& slot) {
      if (slot.committed) return false;
      erase_slot(seq);
      return true;
    });
  }
  checkpoint_log_.erase(checkpoint_log_.begin(), checkpoint_log_.lower_bound(n));
  checkpoint_snapshots_.erase(checkpoint_snapshots_.begin(), checkpoint_snapshots_.lower_bound(n));
  if (next_seq_ <= n) next_seq_ = n.next();
}

// StateMismatch{expected, actual}: our execution diverged from the quorum's. Roll back to
// the last stable snapshot (the last state a quorum vouched for) and transfer state.
void PbftReplica::on_state_mismatch(Seq n, const Digest& expected, const Digest& actual) {
  ++rejected_["state_mismatch"];
  out_->trace("state_mismatch", view_, n.value, describe(StateMismatch{expected, actual}));
  auto good = checkpoint_snapshots_.find(low_);
  check_invariant(good != checkpoint_snapshots_.end(), "snapshot of the stable checkpoint");
  auto snapshot = smr::decode_snapshot(good->second.encoded);
  check_invariant(snapshot && sm_->install_snapshot(*snapshot, *out_),
                  "own stable snapshot installs");
  last_executed_ = low_;
  checkpoint_snapshots_.erase(checkpoint_snapshots_.upper_bound(low_), checkpoint_snapshots_.end());
  for (auto& [seq, cps] : checkpoint_log_) cps.erase(id_);
  log_.for_each([](Seq, Slot& slot) { slot.executed = slot.committed = false; });
  last_fetch_ = Time{-1};  // fetch now, whatever the rate limit says
  request_state();
}

bool PbftReplica::valid_checkpoint_certificate(Seq n, const Digest& h,
                                               const std::vector<Checkpoint>& cert) const {
  if (n.value == 0) return cert.empty();  // the genesis checkpoint needs no proof
  if (n.value % config_.checkpoint_interval != 0) return false;
  std::set<NodeId> signers;
  for (const auto& c : cert) {
    if (c.seq != n || c.state_hash != h || c.replica.value >= config_.n) return false;
    if (!signers.insert(c.replica).second || !verify(c, *verifier_)) return false;
  }
  return signers.size() >= config_.quorum;
}

}  // namespace knhk::pbft
