// The pacemaker of Alg. 5: round-robin leaders, the current view, view timeouts with
// exponential back-off reset on progress, and NEW-VIEW collection at a view's leader.
#pragma once

#include <map>
#include <optional>

#include "protocols/hotstuff/config.hpp"
#include "protocols/hotstuff/messages.hpp"

namespace knhk::hotstuff {

class Pacemaker {
 public:
  explicit Pacemaker(const HotStuffConfig& cfg) : cfg_(cfg) {}

  View current_view() const { return cur_view_; }
  // Moves forward only; returns true when the view changed.
  bool advance_to(View v);
  // A view timed out: back off and move to the next leader's first view (Alg. 5
  // onNextSyncView).
  View on_timeout();
  // A new QC was seen: the network is synchronous enough again.
  void on_progress() { consecutive_timeouts_ = 0; }
  Duration timeout() const;
  std::uint32_t consecutive_timeouts() const { return consecutive_timeouts_; }

  // Records a verified NEW-VIEW for `view` (at its leader). Returns the number of
  // distinct senders for that view so far.
  std::size_t add_new_view(View view, NodeId sender, const QuorumCert& high_qc);
  // Highest QC carried by the NEW-VIEW messages of `view` (the leader extends it).
  std::optional<QuorumCert> highest_new_view_qc(View view) const;
  void prune_below(View view);

 private:
  const HotStuffConfig& cfg_;
  View cur_view_{1};
  std::uint32_t consecutive_timeouts_ = 0;
  std::map<View, std::map<NodeId, QuorumCert>> new_views_;
};

}  // namespace knhk::hotstuff
