// The PBFT replica (Castro & Liskov, OSDI'99; TOCS'02) as a pure state machine.
// Split by concern: replica.cpp (dispatch, client requests, normal case §4.2),
// checkpoint.cpp (§4.3), view_change.cpp (§4.4, TOCS §4.5), state_transfer.cpp
// (TOCS §6.2, whole snapshots), recovery.cpp (durable state across restarts), tick.cpp
// (retransmission and catch-up). Every handler filters untrusted input first (counting the
// reason), then asserts what must hold, then changes state, then emits effects.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocols/common/host.hpp"
#include "protocols/factory.hpp"
#include "protocols/message.hpp"
#include "protocols/pbft/config.hpp"
#include "protocols/pbft/messages.hpp"
#include "protocols/pbft/request_table.hpp"
#include "protocols/pbft/slot_log.hpp"
#include "protocols/pbft/vote_table.hpp"
#include "protocols/smr/state_machine.hpp"

namespace knhk::pbft {

// Pre-prepares are shared, never copied: the log, the prepared certificate, the commit
// proof and the CommitEffect's batch all point into one object (usually the received
// message itself), because a pre-prepare carries its whole batch.
using PrePreparePtr = std::shared_ptr<const PrePrepare>;

// A prepared certificate (PreparedCertificate) whose pre-prepare is shared with the log.
struct PreparedProof {
  PrePreparePtr pre_prepare;
  std::vector<Prepare> prepares;
  PreparedCertificate certificate() const { return {*pre_prepare, prepares}; }
};

// A commit certificate (CommittedEntry) whose pre-prepare is shared with the log.
struct CommitProof {
  PrePreparePtr pre_prepare;
  std::vector<Commit> commits;
  CommittedEntry entry() const { return {*pre_prepare, commits}; }
};

// One sequence number's log entry (the message log of §4.2, bounded by the watermarks).
struct Slot {
  PrePreparePtr pre_prepare;           // the pre-prepare accepted in pre_prepare->view
  std::shared_ptr<const Batch> batch;  // aliases pre_prepare->batch; shared with the CommitEffect
  VoteTable<Prepare> prepares;         // the latest prepare of each replica
  VoteTable<Commit> commits;           // the latest commit of each replica
  std::optional<PreparedProof> prepared;  // highest-view prepared certificate (P-set)
  bool prepare_sent = false;              // for pre_prepare->view
  bool commit_sent = false;               // for pre_prepare->view
  bool committed = false;                 // committed-local for pre_prepare->view
  bool executed = false;
  std::optional<CommitProof> proof;  // pre-prepare + commit quorum, once executed

  void set_pre_prepare(PrePreparePtr pp) {
    batch = std::shared_ptr<const Batch>(pp, &pp->batch);
    pre_prepare = std::move(pp);
  }
  // Back to a default-constructed slot, keeping the vote tables' capacity (SlotLog reuses
  // the entry for a later sequence number).
  void clear() {
    VoteTable<Prepare> kept_prepares = std::move(prepares);
    VoteTable<Commit> kept_commits = std::move(commits);
    *this = Slot{};
    prepares = std::move(kept_prepares);
    commits = std::move(kept_commits);
    prepares.clear();
    commits.clear();
  }
};

// Internal invariant checks stay on in release builds and stop loudly (STYLE.md).
void check_invariant(bool ok, const char* what);

class PbftReplica final : public Replica {
 public:
  PbftReplica(PbftConfig config, NodeId id, std::shared_ptr<const Signer> signer,
              std::shared_ptr<const Verifier> verifier, std::unique_ptr<smr::StateMachine> sm);

  void step(Time now, const Input& input, Effects& out) override;
  ReplicaStatus status() const override;

  static constexpr TimerId kBatchTimer = 1;
  static constexpr TimerId kViewChangeTimer = 2;
  static constexpr TimerId kTickTimer = 3;

 private:
  // ---- dispatch and client requests (replica.cpp) ----
  void on_message(NodeId from, const knhk::Message& m);
  void on_pbft_message(NodeId from, const pbft::Message& m);
  void on_timer(TimerId id);
  void on_client_request(const Request& r);
  void resend_cached_reply(const Request& r);

  // ---- normal case, §4.2 (replica.cpp) ----
  void on_pre_prepare(NodeId from, const PrePrepare& m);
  void on_prepare(NodeId from, const Prepare& m);
  void on_commit(NodeId from, const Commit& m);
  bool normal_case_filter(View v, Seq n, const char*& reason) const;
  bool batch_requests_valid(const Batch& batch) const;
  bool batch_requests_fresh(const Batch& batch) const;
  void propose_batches(bool flush);
  void accept_pre_prepare(PrePreparePtr m);
  // `m` itself when it lives in the message being handled, else a copy.
  PrePreparePtr share(const PrePrepare& m) const;
  std::shared_ptr<const Request> share(const Request& r) const;
  // `slot` is log_'s entry for n.
  void check_prepared(Seq n, Slot& slot);
  void check_committed(Slot& slot);
  void execute_committed();
  void execute_slot(Seq n, Slot& slot);
  void forget_executed_requests(const Batch& batch);
  void update_request_timer();

  // ---- checkpoints and garbage collection, §4.3 (checkpoint.cpp) ----
  void make_checkpoint(Seq n);
  void on_checkpoint(NodeId from, const Checkpoint& m);
  void check_stable(Seq n);
  void mark_stable(Seq n, const Digest& state_hash, std::vector<Checkpoint> certificate);
  void garbage_collect(Seq n);
  void on_state_mismatch(Seq n, const Digest& expected, const Digest& actual);
  bool valid_checkpoint_certificate(Seq n, const Digest& h,
                                    const std::vector<Checkpoint>& cert) const;

  // ---- view change, §4.4 (view_change.cpp) ----
  void on_view_change_timer();
  void start_view_change(View v);
  ViewChange make_view_change(View v) const;
  void on_view_change(NodeId from, const ViewChange& m);
  void join_higher_view_if_asked();
  void try_new_view();
  void on_new_view(const NewView& m, bool embedded);
  bool valid_view_change(const ViewChange& m) const;
  bool valid_prepared_certificate(const PreparedCertificate& c, View before, Seq low) const;
  bool valid_new_view(const NewView& m, const char*& reason) const;
  void enter_view(View v, const NewView& nv);
  void adopt_new_view_checkpoint(const NewView& nv);
  void install_o_set(const NewView& nv);
  Duration current_timeout() const;
  std::size_t view_change_supporters() const;
  void start_new_view_timer_on_quorum();

  // ---- state transfer, TOCS §6.2 (state_transfer.cpp) ----
  void request_state();
  void on_state_request(NodeId from, const StateRequest& m);
  void on_state_response(NodeId from, const StateResponse& m);
  bool install_transferred_checkpoint(const CheckpointTransfer& c);
  bool install_committed_entry(const CommittedEntry& e);

  // ---- durable state (recovery.cpp) ----
  void on_start(const StartInput& in);
  void recover(const DurableStore& store);
  void recover_stable_checkpoint(const DurableStore& store);
  void recover_log(const DurableStore& store);
  void persist_view();
  void persist_slot(Seq n, const Slot& slot);
  void persist_prepares(Seq n, const Slot& slot);
  std::optional<std::vector<Prepare>> recover_prepares(const DurableStore& store,
                                                       const PrePrepare& pp) const;
  void erase_slot(Seq n);
  void persist_stable_checkpoint();

  // ---- retransmission and catch-up (tick.cpp) ----
  void on_tick();
  void retransmit_pending();
  void relay_waiting_requests();

  // ---- helpers (replica.cpp) ----
  bool drop_prepared() const { return config_.bug == BugVariant::drop_prepared_certificates; }
  bool is_primary() const { return config_.primary(view_) == id_; }
  Slot& slot_at(Seq n);
  Seq high_watermark() const { return Seq(low_.value + config_.log_window); }
  template <class T>
  MessagePtr signed_message(T m) const;
  void send(NodeId to, MessagePtr m) { out_->send(to, std::move(m)); }
  void broadcast(MessagePtr m) { out_->broadcast(std::move(m)); }
  void reject(const char* reason, std::uint64_t seq = 0);
  void evidence(NodeId culprit, EvidenceEffect::Kind kind, std::string detail);
  void note_seen(Seq n) {
    if (n > highest_seen_) highest_seen_ = n;
  }

  PbftConfig config_;
  NodeId id_;
  std::shared_ptr<const Signer> signer_;
  std::shared_ptr<const Verifier> verifier_;
  std::unique_ptr<smr::StateMachine> sm_;

  // Per-step context: the time of the input, the message being handled and where effects go.
  Time now_{};
  MessagePtr current_message_;
  std::shared_ptr<const Request> current_request_;  // of a ClientRequestInput
  Effects* out_ = nullptr;

  // View state. Changed only by start_view_change() and enter_view().
  View view_;
  bool active_ = true;  // false between sending VIEW-CHANGE and accepting NEW-VIEW
  std::uint32_t backoff_exponent_ = 0;
  bool quorum_timer_running_ = false;  // the NEW-VIEW timer of §4.5.2 (not a retransmit pace)
  Duration new_view_timeout_{};        // its length for the view change in progress
  std::uint64_t view_changes_ = 0;
  std::optional<NewView> last_new_view_;  // the NEW-VIEW that started view_
  std::map<View, std::map<NodeId, ViewChange>> view_change_log_;

  // The message log, watermarks and execution.
  SlotLog<Slot> log_;
  Seq low_;            // h: the stable checkpoint
  Seq last_executed_;  // == sm_->last_position(): null requests execute as empty batches
  Seq next_seq_{1};    // primary: the next sequence number to assign
  Seq highest_seen_;   // highest sequence number in any authenticated message
  // Highest stable checkpoint a quorum proved to us. While we have not executed that far,
  // a primary does not propose: its pending requests may already be executed there.
  Seq proven_stable_;

  // Checkpoints: own snapshots at checkpoint sequence numbers, and received messages.
  // Snapshots are kept encoded (smr::encode_snapshot): they are only persisted, sent in
  // state transfer or decoded for a rollback, and one encoding is much cheaper than a
  // copy of the client table with its reply caches (docs/performance.md).
  struct CheckpointState {
    Digest state_hash;
    Bytes encoded;
  };
  std::map<Seq, CheckpointState> checkpoint_snapshots_;
  std::map<Seq, std::map<NodeId, Checkpoint>> checkpoint_log_;
  Digest stable_hash_;
  std::vector<Checkpoint> stable_certificate_;

  // Client requests received and not yet executed; in_flight_ those in an accepted
  // pre-prepare of the current view; queue_ the primary's proposal order.
  struct PendingRequest {
    std::shared_ptr<const Request> request;
    Time since;  // arrival, or the last relay to the primary
  };
  RequestTable<PendingRequest> pending_;
  struct InFlight {};
  RequestTable<InFlight> in_flight_;
  std::vector<RequestKey> queue_;
  std::size_t queue_head_ = 0;
  bool batch_timer_armed_ = false;
  bool request_timer_armed_ = false;

  // Retransmission and catch-up.
  Seq executed_at_last_tick_;
  std::uint32_t fetch_rotation_ = 0;
  Time last_fetch_{-1};

  std::map<std::string, std::uint64_t> rejected_;
};

std::unique_ptr<PbftReplica> make_pbft_replica(const ReplicaSetup& setup);

}  // namespace knhk::pbft
