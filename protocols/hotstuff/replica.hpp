// The chained HotStuff replica (Yin et al., PODC'19, arXiv Algorithms 4 and 5) as a
// pure state machine: inputs in, effects out. Handlers are spread over files by
// concern: replica.cpp (dispatch, start, client requests), proposal.cpp (receiving
// proposals: validation, safeNode, vote, update), leader.cpp (votes, QCs, proposing),
// pacemaker.cpp (views, timeouts, NEW-VIEW), block_sync.cpp (fetching blocks),
// execution.cpp (committing the chain into the state machine, replies).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "protocols/common/errors.hpp"
#include "protocols/common/host.hpp"
#include "protocols/factory.hpp"
#include "protocols/hotstuff/block_sync.hpp"
#include "protocols/hotstuff/block_tree.hpp"
#include "protocols/hotstuff/config.hpp"
#include "protocols/hotstuff/pacemaker.hpp"
#include "protocols/hotstuff/quorum_cert.hpp"
#include "protocols/hotstuff/request_pool.hpp"
#include "protocols/hotstuff/safety.hpp"
#include "protocols/message.hpp"
#include "protocols/smr/state_machine.hpp"

namespace knhk::hotstuff {

// Timer ids this replica arms.
inline constexpr TimerId kViewTimer = 1;
inline constexpr TimerId kBatchTimer = 2;
inline constexpr TimerId kFetchTimer = 3;
inline constexpr TimerId kRetransmitTimer = 4;
inline constexpr TimerId kNewViewTimer = 5;

// Durable keys (besides the state machine's "smr/..." keys).
inline constexpr const char* kSafetyKey = "hotstuff/safety";  // vheight + locked QC
inline constexpr const char* kExecKey = "hotstuff/b_exec";    // header of the last executed block

class HotStuffReplica final : public Replica {
 public:
  HotStuffReplica(const ReplicaSetup& setup, HotStuffConfig cfg);
  void step(Time now, const Input& input, Effects& out) override;
  ReplicaStatus status() const override;

 private:
  // ---- replica.cpp ----
  void on_start(const StartInput& in);
  void recover(const DurableStore& store);
  // `own`: a message this replica sent itself (self inbox), so it needs no checks of
  // its signature, hash or client authenticators: we just made them.
  void on_message(NodeId from, const MessagePtr& m, bool own);
  void on_client_request(const std::shared_ptr<const Request>& r);
  void on_timer(TimerId id);
  void drain_self_inbox();
  void send_to(NodeId to, hotstuff::Message m);
  void broadcast(hotstuff::Message m);
  void reject(const std::string& reason, View view, const std::string& detail = {});
  void evidence(NodeId culprit, EvidenceEffect::Kind kind, const std::string& detail);
  bool verify_qc_from(const QuorumCert& qc, NodeId culprit, View view);
  void persist_safety();

  // ---- proposal.cpp ----
  // Proposals travel as the message that carried them (proposal_in(m)): the block tree,
  // the parked list and relays share that one decoded copy instead of copying batches.
  void on_proposal(NodeId from, const MessagePtr& m, bool own);
  // `batch`: batch_digest(p.block.batch), computed once per received proposal.
  bool validate_proposal(NodeId from, const Proposal& p, const Digest& batch, bool own);
  bool batch_signatures_ok(const Block& b);
  void accept_proposal(NodeId from, const MessagePtr& m, const Digest& batch);
  bool ancestry_complete(NodeId from, const MessagePtr& m);
  void vote_if_safe(const Proposal& p, SafeNode verdict);
  void apply_update(const Block& b_star);

  // ---- leader.cpp ----
  void on_vote(NodeId from, const Vote& v, bool own);
  void on_qc_formed(const QuorumCert& qc);
  void update_qc_high(const QuorumCert& qc, NodeId source);
  void try_propose();
  std::optional<Batch> choose_batch(View v, const Digest& parent);
  bool has_uncommitted_payload(const Digest& from) const;
  void propose(View v, const BlockEntry& parent, Batch batch);
  void on_retransmit_timer();
  Duration retransmit_interval() const;

  // ---- pacemaker.cpp ----
  void enter_view(View v);
  void on_view_timeout();
  void on_new_view(NodeId from, const NewView& m, bool own);
  void announce_view(View v);
  void on_new_view_timer();
  void sync_view(NodeId from, View announced);
  bool has_work() const;
  void refresh_view_timer();

  // ---- block_sync.cpp ----
  void fetch(const Digest& hash, NodeId peer);
  void on_block_request(NodeId from, const BlockRequest& m);
  void on_block_response(NodeId from, const BlockResponse& m);
  bool sync_blocks_valid(NodeId from, const BlockResponse& m);
  void on_fetch_timer();
  void retry_parked();

  // ---- execution.cpp ----
  void commit_chain(const Digest& b);
  void execute_block(const BlockEntry& e);
  void persist_exec(const Block& b);
  void reply_to_clients(const Block& b, const smr::ExecutionResult& result);

  HotStuffConfig cfg_;
  NodeId id_;
  std::shared_ptr<const Signer> signer_;
  std::shared_ptr<const Verifier> verifier_;
  smr::StateMachine sm_;

  BlockTree tree_;
  SafetyState safety_;  // vheight and locked QC (b_lock = safety_.locked_qc.block)
  QuorumCert qc_high_;
  Digest b_exec_;
  View exec_view_{0};
  Height exec_height_{0};

  Pacemaker pacemaker_;
  VoteCollector votes_;
  QcCache qc_cache_;
  RequestPool pool_;
  BlockSync sync_;

  View last_proposed_view_{0};
  std::optional<View> ready_view_;   // a view this replica leads and may propose in
  std::optional<View> forced_view_;  // ...and must propose in (NEW-VIEW quorum)
  bool batch_timer_armed_ = false;
  bool batch_deadline_passed_ = false;
  // While a partial batch waits for batch_timeout, the pool size at which a full batch
  // becomes possible; below it, an arriving request need not re-scan the pool.
  std::size_t rescan_at_pool_size_ = 0;
  bool view_timer_armed_ = false;
  bool fetch_timer_armed_ = false;
  std::map<View, Digest> leader_proposals_;
  std::map<NodeId, View> announced_views_;  // highest NEW-VIEW view per replica
  // The view of our last NEW-VIEW: re-sent to its leader until it proposes there.
  View announced_view_{0};
  bool new_view_timer_armed_ = false;
  // The highest-view proposal accepted (a message holding a Proposal), relayed to a
  // replica whose NEW-VIEW shows it is behind (it then fetches the ancestors and commits
  // what we committed).
  MessagePtr latest_proposal_;
  // Retransmission on a lossy network: the leader re-broadcasts its proposal while no
  // QC for it is known; a replica that sees a proposal again re-sends its vote.
  MessagePtr own_proposal_;
  std::optional<Vote> last_vote_;

  std::map<std::string, std::uint64_t> rejected_;
  std::uint64_t view_changes_ = 0;
  bool started_ = false;
  bool retrying_parked_ = false;
  bool parked_dirty_ = false;

  // Per-step context.
  Time now_{};
  Effects* out_ = nullptr;
  std::deque<MessagePtr> self_inbox_;
};

// The proposal inside a message known to hold one.
inline const Proposal& proposal_in(const MessagePtr& m) {
  return std::get<Proposal>(std::get<hotstuff::Message>(m->body));
}

}  // namespace knhk::hotstuff
