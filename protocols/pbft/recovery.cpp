// Durable state across crashes. The state machine keeps the committed batches and its
// snapshots (smr/); PBFT adds what the protocol must not forget (OSDI'99 §4.2, §4.4):
//   "pbft/view"             the current view and whether a view change is in progress
//   "pbft/log/<seq>"        each accepted pre-prepare (with a prepared certificate of
//                           another pre-prepare for that seq, if it has one)
//   "pbft/prepares/<seq>"   the prepares that prepared the logged pre-prepare
//   "pbft/checkpoint"       the stable checkpoint: certificate and snapshot
// Each is written (a PersistEffect earlier in the same effect list) before any message that
// depends on it leaves, so a restarted replica never contradicts what it said before.
#include <string_view>

#include "protocols/pbft/replica.hpp"

namespace knhk::pbft {
namespace {

constexpr const char* kViewKey = "pbft/view";
constexpr const char* kCheckpointKey = "pbft/checkpoint";
constexpr const char* kLogPrefix = "pbft/log/";
constexpr const char* kPreparesPrefix = "pbft/prepares/";

std::string slot_key(std::string_view prefix, Seq n) {
  return numbered_key(prefix, n.value);
}

}  // namespace

void PbftReplica::persist_view() {
  Writer w;
  put(w, view_);
  w.boolean(active_);
  out_->persist(kViewKey, w.take());
}

// A slot's record: its pre-prepare, then what follows it (SlotCertificate): nothing, or a
// prepared certificate for another view's pre-prepare in full. The prepares that prepare
// the logged pre-prepare itself (the usual case) go under their own key, so preparing
// writes a few hundred bytes instead of the batch a second time.
namespace {
enum class SlotCertificate : std::uint8_t { none = 0, same_pre_prepare = 1, other = 2 };
}

void PbftReplica::persist_slot(Seq n, const Slot& slot) {
  if (!slot.pre_prepare) return;
  const Bytes& pre_prepare = encoded(*slot.pre_prepare).bytes;
  Bytes record;
  if (slot.prepared && slot.prepared->pre_prepare != slot.pre_prepare) {
    Writer w;
    w.raw(pre_prepare);
    w.u8(static_cast<std::uint8_t>(SlotCertificate::other));
    encode_prepared(w, *slot.prepared->pre_prepare, slot.prepared->prepares);
    record = w.take();
  } else {
    // The usual case: a copy of the pre-prepare's bytes (a Writer would zero-fill first).
    record.reserve(pre_prepare.size() + 1);
    record.assign(pre_prepare.begin(), pre_prepare.end());
    record.push_back(static_cast<std::uint8_t>(SlotCertificate::none));
  }
  out_->persist(slot_key(kLogPrefix, n), std::move(record));
  if (slot.prepared && slot.prepared->pre_prepare == slot.pre_prepare) persist_prepares(n, slot);
}

// The prepares of the logged pre-prepare; recover_log pairs them with it only when their
// view and digest match, so a record left from an earlier view's pre-prepare is ignored.
void PbftReplica::persist_prepares(Seq n, const Slot& slot) {
  Writer w;
  w.reserve(encoded_size(slot.prepared->prepares));
  encode(w, slot.prepared->prepares);
  out_->persist(slot_key(kPreparesPrefix, n), w.take());
}

void PbftReplica::erase_slot(Seq n) {
  out_->erase(slot_key(kLogPrefix, n));
  out_->erase(slot_key(kPreparesPrefix, n));
}

void PbftReplica::persist_stable_checkpoint() {
  auto snap = checkpoint_snapshots_.find(low_);
  check_invariant(snap != checkpoint_snapshots_.end(), "snapshot of the stable checkpoint");
  out_->persist(kCheckpointKey, checkpoint_transfer_record(low_, stable_hash_, stable_certificate_,
                                                           snap->second.encoded));
}

void PbftReplica::on_start(const StartInput& in) {
  bool restarted = in.recovered && !in.recovered->empty();
  if (restarted) recover(*in.recovered);
  out_->set_timer(kTickTimer, config_.retransmit_interval);
  executed_at_last_tick_ = last_executed_;
  if (restarted) request_state();  // we were away: catch up with the others
}

void PbftReplica::recover(const DurableStore& store) {
  auto report = sm_->recover(store);
  if (!report.ok) out_->trace("recovery_error", view_, 0, report.error);
  last_executed_ = sm_->last_position();
  try {
    recover_stable_checkpoint(store);
    if (auto it = store.find(kViewKey); it != store.end()) {
      Reader r(it->second);
      view_ = get_id<View>(r);
      active_ = r.boolean();
    }
    recover_log(store);
  } catch (const DecodeError& e) {
    out_->trace("recovery_error", view_, 0, e.what());
  }
  next_seq_ = std::max(next_seq_, std::max(last_executed_, low_).next());
  out_->trace("recovered", view_, last_executed_.value,
              "stable " + std::to_string(low_.value) + (active_ ? "" : ", in view change"));
  if (!active_) {
    // We crashed during a view change: ask again for the view we had asked for.
    ViewChange vc = make_view_change(view_);
    sign(vc, *signer_);
    view_change_log_[view_][id_] = vc;
    broadcast(make_message(pbft::Message{vc}));
    out_->set_timer(kViewChangeTimer, current_timeout());
    request_timer_armed_ = true;
  }
}

void PbftReplica::recover_stable_checkpoint(const DurableStore& store) {
  auto it = store.find(kCheckpointKey);
  if (it == store.end()) return;
  Reader r(it->second);
  auto cp = decode_checkpoint_transfer(r);
  auto snap = smr::decode_snapshot(cp.snapshot);
  if (!snap || snap->state_hash != cp.state_hash || snap->position != cp.seq) return;
  if (cp.seq > last_executed_ && sm_->install_snapshot(*snap, *out_)) last_executed_ = cp.seq;
  if (cp.seq > last_executed_) return;
  low_ = cp.seq;
  stable_hash_ = cp.state_hash;
  stable_certificate_ = cp.certificate;
  checkpoint_snapshots_.clear();
  checkpoint_snapshots_[low_] = CheckpointState{snap->state_hash, std::move(cp.snapshot)};
}

// Accepted pre-prepares of the current view come back as they were (with the PREPARE we
// sent); prepared certificates of any view come back for later view changes.
void PbftReplica::recover_log(const DurableStore& store) {
  for (auto it = store.lower_bound(kLogPrefix);
       it != store.end() && it->first.rfind(kLogPrefix, 0) == 0; ++it) {
    Reader r(it->second);
    auto pp = std::make_shared<const PrePrepare>(decode_pre_prepare(r));
    std::optional<PreparedProof> prepared;
    switch (static_cast<SlotCertificate>(r.u8())) {
      case SlotCertificate::none:
        break;
      case SlotCertificate::same_pre_prepare:
        prepared = PreparedProof{pp, decode_prepares(r)};
        break;
      case SlotCertificate::other: {
        auto c = decode_prepared_certificate(r);
        prepared = PreparedProof{std::make_shared<const PrePrepare>(std::move(c.pre_prepare)),
                                 std::move(c.prepares)};
        break;
      }
      default:
        throw DecodeError("bad slot certificate kind");
    }
    // A replica only ever accepts pre-prepares within its watermarks, and the low one
    // has not fallen since: a record above low + L is not one it wrote (the log is a ring
    // over the window and would grow to reach it).
    if (pp->seq <= low_ || pp->seq.value - low_.value > config_.log_window) continue;
    if (auto same = recover_prepares(store, *pp)) prepared = PreparedProof{pp, std::move(*same)};
    Slot& slot = slot_at(pp->seq);
    slot.prepared = std::move(prepared);
    slot.executed = pp->seq <= last_executed_;
    next_seq_ = std::max(next_seq_, pp->seq.next());
    if (pp->view != view_) continue;
    slot.set_pre_prepare(pp);
    slot.committed = slot.executed;
    if (!is_primary()) {
      // We sent this PREPARE before the crash; re-create it (same content, same signer).
      Prepare own{pp->view, pp->seq, pp->digest, id_, {}};
      sign(own, *signer_);
      slot.prepares[id_] = own;
      slot.prepare_sent = true;
    }
  }
}

// The prepares stored for the logged pre-prepare `pp`, if they are for it: same view,
// sequence number and digest (a record from an earlier view's pre-prepare is not).
std::optional<std::vector<Prepare>> PbftReplica::recover_prepares(const DurableStore& store,
                                                                  const PrePrepare& pp) const {
  auto it = store.find(slot_key(kPreparesPrefix, pp.seq));
  if (it == store.end()) return std::nullopt;
  Reader r(it->second);
  auto prepares = decode_prepares(r);
  for (const Prepare& p : prepares)
    if (p.view != pp.view || p.seq != pp.seq || p.digest != pp.digest) return std::nullopt;
  return prepares;
}

}  // namespace knhk::pbft
