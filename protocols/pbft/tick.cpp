// Retransmission and catch-up. There is no reliable channel underneath (the simulated
// network and UDP both lose messages), so a replica whose execution made no progress for a
// whole retransmit interval while work is outstanding re-sends its own messages for the
// pending sequence numbers and its unstable checkpoint, and asks one peer for the state it
// may have missed (state_transfer.cpp). This plays the role of the status messages of
// Castro's BFT library.
#include "protocols/pbft/replica.hpp"

namespace knhk::pbft {

void PbftReplica::on_tick() {
  out_->set_timer(kTickTimer, config_.retransmit_interval);
  bool progressed = last_executed_ != executed_at_last_tick_;
  executed_at_last_tick_ = last_executed_;
  relay_waiting_requests();
  if (progressed) return;
  bool unexecuted = log_.any_after(last_executed_);
  if (!unexecuted && pending_.empty() && highest_seen_ <= last_executed_) return;
  retransmit_pending();
  if (highest_seen_ > last_executed_ || !active_) request_state();
}

// A request that a backup holds but the primary has not proposed for a whole interval
// may have been lost on its way to the primary: relay it (§4.1), instead of letting the
// request timer force a view change over one lost message.
void PbftReplica::relay_waiting_requests() {
  if (!active_ || is_primary()) return;
  std::uint32_t budget = 64;
  pending_.for_each([&](RequestKey key, PendingRequest& waiting) {
    if (budget == 0) return false;
    if (in_flight_.contains(key) || now_ - waiting.since < config_.retransmit_interval) return true;
    send(config_.primary(view_), make_message(*waiting.request));
    waiting.since = now_;
    --budget;
    return true;
  });
}

void PbftReplica::retransmit_pending() {
  if (active_) {
    std::uint32_t budget = 32;
    log_.for_each_after(last_executed_, [&](Seq, const Slot& slot) {
      if (budget == 0) return false;
      if (!slot.pre_prepare || slot.pre_prepare->view != view_) return true;
      --budget;
      if (is_primary()) broadcast(make_message(pbft::Message{*slot.pre_prepare}));
      if (auto p = slot.prepares.find(id_); slot.prepare_sent && p != slot.prepares.end())
        broadcast(make_message(pbft::Message{p->second}));
      if (auto c = slot.commits.find(id_); slot.commit_sent && c != slot.commits.end())
        broadcast(make_message(pbft::Message{c->second}));
      return true;
    });
  } else if (auto vcs = view_change_log_.find(view_); vcs != view_change_log_.end()) {
    // Our VIEW-CHANGE may have been lost on its way to the new primary, which needs it even
    // after we saw a quorum (from then on the view-change timer no longer paces resends).
    if (auto own = vcs->second.find(id_); own != vcs->second.end())
      broadcast(make_message(pbft::Message{own->second}));
  }
  // Our newest checkpoint that is not stable yet: others may have lost it.
  for (auto it = checkpoint_log_.rbegin(); it != checkpoint_log_.rend(); ++it) {
    if (it->first <= low_) break;
    if (auto own = it->second.find(id_); own != it->second.end()) {
      broadcast(make_message(pbft::Message{own->second}));
      break;
    }
  }
}

}  // namespace knhk::pbft
