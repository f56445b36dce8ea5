// Dispatch, client requests and the normal-case protocol (OSDI'99 §4.2): the primary
// assigns sequence numbers to batches and multicasts PRE-PREPARE; backups accept it and
// multicast PREPARE; a replica with the pre-prepare and 2f matching prepares is prepared and
// multicasts COMMIT; with a quorum of matching commits the batch is committed-local and
// executes once every lower sequence number has executed (null requests included).
#include "protocols/pbft/replica.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <type_traits>

#include "protocols/common/invariant.hpp"

#include <cstdio>
#include <cstdlib>

namespace knhk::pbft {

void check_invariant(bool ok, const char* what) {
  if (ok) return;
  invariant_failed("pbft", what);
}

PbftReplica::PbftReplica(PbftConfig config, NodeId id, std::shared_ptr<const Signer> signer,
                         std::shared_ptr<const Verifier> verifier,
                         std::unique_ptr<smr::StateMachine> sm)
    : config_(config),
      id_(id),
      signer_(std::move(signer)),
      verifier_(std::move(verifier)),
      sm_(std::move(sm)) {
  // The genesis state is the stable checkpoint 0 (its certificate is empty).
  checkpoint_snapshots_[Seq(0)] = CheckpointState{sm_->state_hash(), sm_->encoded_snapshot()};
  stable_hash_ = sm_->state_hash();
}

void PbftReplica::step(Time now, const Input& input, Effects& out) {
  now_ = now;
  out_ = &out;
  std::visit(
      [this](const auto& in) {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, StartInput>) on_start(in);
        if constexpr (std::is_same_v<T, MessageInput>) {
          if (!in.msg) return;
          current_message_ = in.msg;
          on_message(in.from, *in.msg);
          current_message_.reset();
        }
        if constexpr (std::is_same_v<T, TimerInput>) on_timer(in.id);
        if constexpr (std::is_same_v<T, ClientRequestInput>) {
          if (!in.request) return;
          current_request_ = in.request;
          on_client_request(*in.request);
          current_request_.reset();
        }
      },
      input);
  check_invariant(last_executed_ == sm_->last_position(), "executed == state machine position");
  check_invariant(low_ <= last_executed_, "the stable checkpoint has executed");
  out_ = nullptr;
}

ReplicaStatus PbftReplica::status() const {
  ReplicaStatus s;
  s.view = view_;
  s.committed = last_executed_;
  s.state_hash = sm_->state_hash();
  s.is_leader = active_ && is_primary();
  s.view_changes = view_changes_;
  s.rejected = rejected_;
  return s;
}

void PbftReplica::on_message(NodeId from, const knhk::Message& m) {
  if (auto* req = std::get_if<Request>(&m.body)) return on_client_request(*req);
  auto* p = std::get_if<pbft::Message>(&m.body);
  if (!p) return reject("foreign_message");
  if (from.value >= config_.n || from == id_) return reject("unknown_sender");
  // Links are authenticated: a message must be signed by the replica it came from.
  if (sender(*p) != from) return reject("sender_mismatch");
  if (!m.signature_check.passes(verifier_.get(), [&] { return verify(*p, *verifier_); })) {
    reject("bad_signature");
    return evidence(from, EvidenceEffect::Kind::invalid_signature, std::string(type_name(*p)));
  }
  on_pbft_message(from, *p);
}

void PbftReplica::on_pbft_message(NodeId from, const pbft::Message& m) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, PrePrepare>) on_pre_prepare(from, x);
        if constexpr (std::is_same_v<T, Prepare>) on_prepare(from, x);
        if constexpr (std::is_same_v<T, Commit>) on_commit(from, x);
        if constexpr (std::is_same_v<T, Checkpoint>) on_checkpoint(from, x);
        if constexpr (std::is_same_v<T, ViewChange>) on_view_change(from, x);
        if constexpr (std::is_same_v<T, NewView>) on_new_view(x, false);
        if constexpr (std::is_same_v<T, StateRequest>) on_state_request(from, x);
        if constexpr (std::is_same_v<T, StateResponse>) on_state_response(from, x);
      },
      m);
}

void PbftReplica::on_timer(TimerId id) {
  switch (id) {
    case kBatchTimer:
      batch_timer_armed_ = false;
      return propose_batches(true);
    case kViewChangeTimer:
      request_timer_armed_ = false;
      return on_view_change_timer();
    case kTickTimer:
      return on_tick();
    default:
      return reject("unknown_timer");
  }
}

// ---- client requests (§4.1) ----

void PbftReplica::on_client_request(const Request& r) {
  if (auto a = check_request(r, *signer_, *verifier_, config_.n); a != RequestAuth::ok)
    return reject(to_string(a));
  if (sm_->already_executed(r.client, r.id)) return resend_cached_reply(r);
  RequestKey key{r.client, r.id};
  if (pending_.size() >= config_.max_pending_requests && !pending_.contains(key))
    return reject("pending_full");
  auto [waiting, inserted] = pending_.try_emplace(key);
  if (!inserted) {
    // A retransmission: the client is still waiting, so keep the view-change timer running.
    update_request_timer();
    return;
  }
  *waiting = PendingRequest{share(r), now_};
  if (active_ && is_primary()) queue_.push_back(key);
  update_request_timer();
  propose_batches(false);
}

// Replicas remember the last reply per client and resend it for a retransmitted request.
void PbftReplica::resend_cached_reply(const Request& r) {
  const auto* entry = sm_->client_entry(r.client);
  const Bytes* cached = entry ? entry->result_of(r.id) : nullptr;
  if (!cached) return reject("old_request");
  auto reply = make_reply(view_, r.client, r.id, id_, *cached, *signer_);
  out_->list.emplace_back(reply_effect(r.client, std::move(reply)));
}

// The view-change timer runs while some received request has not executed (§4.4).
void PbftReplica::update_request_timer() {
  if (!active_) return;  // the view-change timer is running instead
  if (pending_.empty()) {
    if (request_timer_armed_) out_->cancel_timer(kViewChangeTimer);
    request_timer_armed_ = false;
    return;
  }
  if (request_timer_armed_) return;
  out_->set_timer(kViewChangeTimer, current_timeout());
  request_timer_armed_ = true;
}

// ---- primary: batching and PRE-PREPARE ----

void PbftReplica::propose_batches(bool flush) {
  if (!active_ || !is_primary() || last_executed_ < proven_stable_) return;
  while (next_seq_ <= high_watermark()) {
    // Called on every arriving request: while the queue cannot fill a batch, return in
    // O(1) instead of copying its requests out and back (43% of a real primary's CPU).
    if (!flush && queue_.size() - queue_head_ < config_.batch_size) break;
    Batch batch;
    batch.reserve(std::min<std::size_t>(config_.batch_size, queue_.size() - queue_head_));
    while (queue_head_ < queue_.size() && batch.size() < config_.batch_size) {
      auto key = queue_[queue_head_++];
      const PendingRequest* waiting = pending_.find(key);
      if (!waiting || in_flight_.contains(key)) continue;
      batch.push_back(*waiting->request);
    }
    bool full = batch.size() == config_.batch_size;
    if (batch.empty() || (!full && !flush)) {
      // Not enough for a full batch: put the requests back and wait for the batch timer.
      for (auto it = batch.rbegin(); it != batch.rend(); ++it)
        queue_[--queue_head_] = RequestKey{it->client, it->id};
      break;
    }
    PrePrepare pp{view_, next_seq_, batch_digest(batch), std::move(batch), id_, {}};
    sign(pp, *signer_);
    next_seq_ = next_seq_.next();
    MessagePtr msg = make_message(pbft::Message{std::move(pp)});
    const auto* inside = &std::get<PrePrepare>(std::get<pbft::Message>(msg->body));
    inside->digest_memo.get([inside] { return inside->digest; });  // computed just above
    accept_pre_prepare(PrePreparePtr(msg, inside));  // persists before the broadcast (write-ahead)
    broadcast(std::move(msg));
  }
  if (queue_head_ > 4096 && queue_head_ * 2 > queue_.size()) {
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_));
    queue_head_ = 0;
  }
  bool waiting = queue_head_ < queue_.size();
  if (waiting && !batch_timer_armed_ && next_seq_ <= high_watermark()) {
    out_->set_timer(kBatchTimer, config_.batch_timeout);
    batch_timer_armed_ = true;
  }
}

// ---- backups: PRE-PREPARE, PREPARE, COMMIT ----

// Messages of the normal case are accepted only in the current, active view and within
// the watermarks h < n <= h + L (§4.2).
bool PbftReplica::normal_case_filter(View v, Seq n, const char*& reason) const {
  if (v < view_)
    reason = "old_view";
  else if (v > view_)
    reason = "future_view";
  else if (!active_)
    reason = "view_change_in_progress";
  else if (n <= low_ || n > high_watermark())
    reason = "outside_watermarks";
  else
    return true;
  return false;
}

namespace {
// a == b (Request::operator==), with the MAC authenticator compared as one block of bytes:
// operator== compares it MAC by MAC, one memcmp call each, and every backup compares each
// request of a pre-prepare with the one it verified on arrival. The structured binding
// names every field, so a field added to Request stops this compiling until it is
// compared here too (the memo is not compared, as in operator==).
bool same_request(const Request& a, const Request& b) {
  static_assert(std::has_unique_object_representations_v<Mac>, "equal MACs have equal bytes");
  [[maybe_unused]] const auto& [client, id, operation, signature, authenticator, memo] = a;
  return client == b.client && id == b.id && operation == b.operation && signature == b.signature &&
         authenticator.size() == b.authenticator.size() &&
         (authenticator.empty() || std::memcmp(authenticator.data(), b.authenticator.data(),
                                               authenticator.size() * sizeof(Mac)) == 0);
}
}  // namespace

bool PbftReplica::batch_requests_valid(const Batch& batch) const {
  for (const auto& r : batch) {
    const PendingRequest* waiting = pending_.find(RequestKey{r.client, r.id});
    if (waiting && same_request(*waiting->request, r)) continue;  // verified on arrival
    if (check_request(r, *signer_, *verifier_, config_.n) != RequestAuth::ok) return false;
  }
  return true;
}

namespace {
// Whether no (client, id) occurs twice in the batch. Batches are small: their keys are
// sorted in a stack buffer (a vector here was one allocation per pre-prepare per backup).
bool each_request_once(const Batch& batch) {
  constexpr std::size_t kOnStack = 32;
  std::array<RequestKey, kOnStack> buffer;
  std::vector<RequestKey> heap;
  std::span<RequestKey> keys(buffer.data(), batch.size());
  if (batch.size() > kOnStack) {
    heap.resize(batch.size());
    keys = heap;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) keys[i] = RequestKey{batch[i].client, batch[i].id};
  std::sort(keys.begin(), keys.end());
  return std::adjacent_find(keys.begin(), keys.end()) == keys.end();
}
}  // namespace

bool PbftReplica::batch_requests_fresh(const Batch& batch) const {
  for (const auto& r : batch)
    if (in_flight_.contains(RequestKey{r.client, r.id}) || sm_->already_executed(r.client, r.id))
      return false;
  return each_request_once(batch);
}

void PbftReplica::on_pre_prepare(NodeId from, const PrePrepare& m) {
  note_seen(m.seq);
  const char* reason = nullptr;
  if (!normal_case_filter(m.view, m.seq, reason)) return reject(reason, m.seq.value);
  if (m.replica != config_.primary(m.view)) {
    reject("not_primary", m.seq.value);
    return evidence(from, EvidenceEffect::Kind::protocol_violation, "pre-prepare from a backup");
  }
  if (checked_batch_digest(m) != m.digest) {
    reject("digest_mismatch", m.seq.value);
    return evidence(from, EvidenceEffect::Kind::protocol_violation, "pre-prepare digest mismatch");
  }
  const Slot* logged = log_.find(m.seq);
  if (logged && logged->pre_prepare && logged->pre_prepare->view == m.view) {
    if (logged->pre_prepare->digest == m.digest) return reject("duplicate", m.seq.value);
    reject("conflicting_pre_prepare", m.seq.value);
    return evidence(from, EvidenceEffect::Kind::equivocation,
                    "two pre-prepares for view " + std::to_string(m.view.value) + " seq " +
                        std::to_string(m.seq.value));
  }
  if (!batch_requests_valid(m.batch)) {
    // We cannot tell whether the client or the primary lied about a MAC authenticator
    // entry, so only a bad signature is evidence (protocols/common/request.hpp).
    if (!has_forged_signature(m.batch, *verifier_)) return reject("bad_request_mac", m.seq.value);
    reject("bad_request_signature", m.seq.value);
    return evidence(from, EvidenceEffect::Kind::protocol_violation, "forged client request");
  }
  // A request may be assigned one sequence number only. What we executed or accepted
  // elsewhere depends on our own progress, so this is no proof against the primary.
  if (!batch_requests_fresh(m.batch)) return reject("duplicate_request", m.seq.value);
  accept_pre_prepare(share(m));
}

std::shared_ptr<const Request> PbftReplica::share(const Request& r) const {
  if (current_request_.get() == &r) return current_request_;
  if (current_message_) {
    if (const auto* inside = std::get_if<Request>(&current_message_->body); inside == &r)
      return std::shared_ptr<const Request>(current_message_, inside);  // aliasing: no copy
  }
  return std::make_shared<const Request>(r);
}

PrePreparePtr PbftReplica::share(const PrePrepare& m) const {
  if (current_message_) {
    const auto* p = std::get_if<pbft::Message>(&current_message_->body);
    const auto* pp = p ? std::get_if<PrePrepare>(p) : nullptr;
    if (pp == &m) return PrePreparePtr(current_message_, pp);  // aliasing: no copy
  }
  return std::make_shared<const PrePrepare>(m);
}

// Logs the pre-prepare of the current view for n, persists it, and (as a backup) sends
// PREPARE. Used for the primary's own proposals, received ones and the NEW-VIEW's O-set.
void PbftReplica::accept_pre_prepare(PrePreparePtr ptr) {
  const PrePrepare& m = *ptr;
  check_invariant(m.view == view_ && active_, "pre-prepare accepted in the active view");
  Slot& slot = slot_at(m.seq);
  if (slot.pre_prepare && slot.pre_prepare->view == m.view) return;
  slot.set_pre_prepare(std::move(ptr));
  slot.prepare_sent = slot.commit_sent = slot.committed = false;
  if (!slot.executed)
    for (const auto& r : m.batch) in_flight_.insert(RequestKey{r.client, r.id}, {});
  persist_slot(m.seq, slot);  // before PREPARE: never prepare two digests for one (v, n)
  if (!is_primary()) {
    Prepare p{m.view, m.seq, m.digest, id_, {}};
    sign(p, *signer_);
    slot.prepares[id_] = p;
    slot.prepare_sent = true;
    broadcast(make_message(pbft::Message{p}));
  }
  check_prepared(m.seq, slot);
}

void PbftReplica::on_prepare(NodeId from, const Prepare& m) {
  note_seen(m.seq);
  const char* reason = nullptr;
  if (!normal_case_filter(m.view, m.seq, reason)) return reject(reason, m.seq.value);
  if (m.replica == config_.primary(m.view)) return reject("prepare_from_primary", m.seq.value);
  Slot& slot = slot_at(m.seq);
  auto it = slot.prepares.find(from);
  if (it != slot.prepares.end() && it->second.view == m.view) {
    if (it->second.digest == m.digest) return reject("duplicate", m.seq.value);
    reject("conflicting_prepare", m.seq.value);
    return evidence(from, EvidenceEffect::Kind::equivocation,
                    "two prepares for seq " + std::to_string(m.seq.value));
  }
  slot.prepares[from] = m;
  check_prepared(m.seq, slot);
}

void PbftReplica::on_commit(NodeId from, const Commit& m) {
  note_seen(m.seq);
  const char* reason = nullptr;
  if (!normal_case_filter(m.view, m.seq, reason)) return reject(reason, m.seq.value);
  Slot& slot = slot_at(m.seq);
  auto it = slot.commits.find(from);
  if (it != slot.commits.end() && it->second.view == m.view) {
    if (it->second.digest == m.digest) return reject("duplicate", m.seq.value);
    reject("conflicting_commit", m.seq.value);
    return evidence(from, EvidenceEffect::Kind::equivocation,
                    "two commits for seq " + std::to_string(m.seq.value));
  }
  slot.commits[from] = m;
  check_committed(slot);
}

// prepared(m, v, n, i): the pre-prepare plus 2f prepares from distinct backups that match it.
void PbftReplica::check_prepared(Seq n, Slot& slot) {
  // Only the current view's pre-prepare can become prepared here (a slot may still hold an
  // older view's pre-prepare, e.g. one executed through state transfer).
  if (!slot.pre_prepare || slot.commit_sent || slot.pre_prepare->view != view_) return;
  // Too few prepares to match, whatever they say (most arrive before the quorum).
  if (slot.prepares.size() + 1 < config_.quorum) return;
  const PrePrepare& pp = *slot.pre_prepare;
  const NodeId primary = config_.primary(pp.view);
  auto matches = [&](NodeId who, const Prepare& p) {
    return p.view == pp.view && p.digest == pp.digest && who != primary;
  };
  std::size_t count = 0;  // counted before the certificate is built
  for (const auto& [who, p] : slot.prepares) count += matches(who, p) ? 1 : 0;
  if (count + 1 < config_.quorum) return;
  std::vector<Prepare> matching;
  matching.reserve(count);
  for (const auto& [who, p] : slot.prepares)
    if (matches(who, p)) matching.push_back(p);
  slot.prepared = PreparedProof{slot.pre_prepare, std::move(matching)};
  persist_prepares(n, slot);  // the P-set must survive a restart before COMMIT goes out
  Commit c{pp.view, n, pp.digest, id_, {}};
  sign(c, *signer_);
  slot.commits[id_] = c;
  slot.commit_sent = true;
  broadcast(make_message(pbft::Message{c}));
  check_committed(slot);
}

// committed-local(m, v, n, i): a quorum of matching commits for the accepted pre-prepare.
void PbftReplica::check_committed(Slot& slot) {
  if (!slot.pre_prepare || slot.committed || !slot.commit_sent) return;
  bool wrong_early = config_.bug == BugVariant::execute_before_commit;  // deliberately wrong
  if (slot.commits.size() < config_.quorum && !wrong_early) return;     // too few to match
  std::uint32_t matching = 0;
  for (const auto& [who, c] : slot.commits)
    if (c.view == slot.pre_prepare->view && c.digest == slot.pre_prepare->digest) ++matching;
  if (matching < config_.quorum && !wrong_early) return;
  slot.committed = true;
  execute_committed();
}

// Executes committed batches strictly in sequence order.
void PbftReplica::execute_committed() {
  for (;;) {
    const Seq n = last_executed_.next();
    Slot* slot = log_.find(n);
    if (!slot || !slot->committed || slot->executed) break;
    execute_slot(n, *slot);
  }
  update_request_timer();
  propose_batches(false);
}

void PbftReplica::execute_slot(Seq n, Slot& slot) {
  check_invariant(n == last_executed_.next(), "execution in sequence order");
  if (!slot.proof) {
    // Keep the commit certificate: it lets us serve this batch to a replica that missed it.
    CommitProof proof{slot.pre_prepare, {}};
    proof.commits.reserve(config_.quorum);  // grown by doubling it was copied three times
    for (const auto& [who, c] : slot.commits)
      if (c.view == proof.pre_prepare->view && c.digest == proof.pre_prepare->digest &&
          proof.commits.size() < config_.quorum)
        proof.commits.push_back(c);
    slot.proof = std::move(proof);
  }
  auto result = sm_->execute(slot.batch, slot.pre_prepare->digest, slot.pre_prepare->view, n.value,
                             *out_, encoded(*slot.pre_prepare).batch());
  last_executed_ = n;
  slot.executed = true;
  // Progress in the current view (§4.5.2: "executes a request in the new view") lets the
  // next view change start from the base timeout; catching up on older views' batches
  // does not prove the new view works.
  if (active_ && slot.pre_prepare->view == view_) backoff_exponent_ = 0;
  for (auto& e : result.requests) {
    if (e.duplicate && e.result.empty()) continue;
    auto reply =
        make_reply(view_, e.request->client, e.request->id, id_, std::move(e.result), *signer_);
    out_->list.emplace_back(reply_effect(e.request->client, std::move(reply)));
  }
  forget_executed_requests(*slot.batch);
  if (n.value % config_.checkpoint_interval == 0) make_checkpoint(n);
  // The request timer restarts when a request executes and others are still waiting.
  // (While a view change is in progress the same timer waits for NEW-VIEW: keep it.)
  if (request_timer_armed_ && active_) {
    out_->cancel_timer(kViewChangeTimer);
    request_timer_armed_ = false;
  }
}

// Executed requests leave the pending set, with any older ones of the same client that the
// state machine now counts as executed (its at-most-once floor, §4.1).
// The state machine's client entry is looked up only if the client still has requests
// pending after this one (often it has none).
void PbftReplica::forget_executed_requests(const Batch& batch) {
  for (const auto& r : batch) {
    RequestKey key{r.client, r.id};
    in_flight_.erase(key);
    const smr::ClientEntry* entry = nullptr;
    bool looked_up = false;
    auto executed = [&](RequestId id) {
      if (!looked_up) entry = sm_->client_entry(r.client), looked_up = true;
      return entry && entry->executed(id);
    };
    pending_.erase_and_leading(key, executed, [&](RequestKey older) { in_flight_.erase(older); });
  }
}

// ---- helpers ----

// The log entry for n, created if absent. A new entry's vote tables get room for a vote
// from every replica at once: grown one vote at a time (1, 2, 4, 8) they were reallocated
// and copied four times each per slot at every replica.
Slot& PbftReplica::slot_at(Seq n) {
  auto [slot, created] = log_.try_emplace(n);
  if (created) {
    slot->prepares.reserve(config_.n);  // no-op for a reused entry
    slot->commits.reserve(config_.n);
  }
  return *slot;
}

template <class T>
MessagePtr PbftReplica::signed_message(T m) const {
  sign(m, *signer_);
  return make_message(pbft::Message{std::move(m)});
}
template MessagePtr PbftReplica::signed_message(Checkpoint) const;
template MessagePtr PbftReplica::signed_message(ViewChange) const;
template MessagePtr PbftReplica::signed_message(StateRequest) const;
template MessagePtr PbftReplica::signed_message(StateResponse) const;

void PbftReplica::reject(const char* reason, std::uint64_t seq) {
  ++rejected_[reason];
  out_->trace("reject", view_, seq, reason);
}

void PbftReplica::evidence(NodeId culprit, EvidenceEffect::Kind kind, std::string detail) {
  out_->list.emplace_back(EvidenceEffect{culprit, kind, std::move(detail)});
}

}  // namespace knhk::pbft
