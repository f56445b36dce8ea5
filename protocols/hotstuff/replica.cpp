#include "protocols/hotstuff/replica.hpp"

#include <stdexcept>

namespace knhk::hotstuff {

HotStuffReplica::HotStuffReplica(const ReplicaSetup& setup, HotStuffConfig cfg)
    : cfg_(cfg),
      id_(setup.id),
      signer_(setup.signer),
      verifier_(setup.verifier),
      sm_(smr::make_application(cfg.app, cfg.keys), cfg.snapshot_interval),
      qc_high_(genesis_qc()),
      b_exec_(genesis_hash()),
      pacemaker_(cfg_),
      pool_(cfg.max_pending_requests),
      sync_(cfg_, setup.id) {
  if (!signer_ || !verifier_) throw std::invalid_argument("hotstuff replica needs keys");
  if (id_.value >= cfg_.n) throw InvalidValidatorSetError("replica id outside the validator set");
  safety_.locked_qc = genesis_qc();
}

void HotStuffReplica::step(Time now, const Input& input, Effects& out) {
  now_ = now;
  out_ = &out;
  std::visit(
      [&](const auto& in) {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, StartInput>) {
          on_start(in);
        } else if (!started_) {
          // Inputs before start are ignored: the replica has no state yet.
        } else if constexpr (std::is_same_v<T, MessageInput>) {
          if (in.msg) on_message(in.from, in.msg, false);
        } else if constexpr (std::is_same_v<T, TimerInput>) {
          on_timer(in.id);
        } else if constexpr (std::is_same_v<T, ClientRequestInput>) {
          if (in.request) on_client_request(in.request);
        }
      },
      input);
  drain_self_inbox();
  if (started_) refresh_view_timer();
  out_ = nullptr;
}

void HotStuffReplica::on_start(const StartInput& in) {
  if (started_) return;
  started_ = true;
  if (in.recovered && !in.recovered->empty()) recover(*in.recovered);
  out_->trace("start", pacemaker_.current_view(), sm_.last_position().value,
              "b_exec view " + std::to_string(exec_view_.value));
  // Alg. 5: the leader of the first view holds qc_high for its parent (genesis).
  if (cfg_.leader(pacemaker_.current_view()) == id_ &&
      qc_high_.view.next() == pacemaker_.current_view())
    ready_view_ = pacemaker_.current_view();
  try_propose();
}

// A restarted replica: the state machine from its snapshot and log, the safety state
// (vheight, locked QC) and the last executed block's header; the blocks after it come
// from peers through block sync once proposals arrive.
void HotStuffReplica::recover(const DurableStore& store) {
  sm_.recover(store);
  if (auto it = store.find(kSafetyKey); it != store.end()) {
    if (auto s = decode_safety(it->second)) safety_ = *s;
  }
  if (auto it = store.find(kExecKey); it != store.end()) {
    try {
      Reader r(it->second);
      Digest hash = r.digest();
      Block header = decode_block(r);
      tree_.install_root(header, hash);
      b_exec_ = hash;
      exec_view_ = header.view;
      exec_height_ = header.height;
    } catch (const DecodeError&) {
      // A torn record: start from genesis; block sync re-fetches what is needed.
    }
  }
  qc_high_ = safety_.locked_qc;
  View resume = std::max(safety_.vheight, safety_.locked_qc.view).next();
  pacemaker_.advance_to(std::max(resume, exec_view_.next()));
}

void HotStuffReplica::on_message(NodeId from, const MessagePtr& m, bool own) {
  if (auto* r = std::get_if<Request>(&m->body)) {
    on_client_request(std::shared_ptr<const Request>(m, r));  // shares the message
    return;
  }
  const auto* hm = std::get_if<hotstuff::Message>(&m->body);
  if (!hm) return;  // replies and other protocols' messages are not for us
  if (from.value >= cfg_.n) {
    reject("unknown_sender", View(0));
    return;
  }
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, Proposal>) on_proposal(from, m, own);
        if constexpr (std::is_same_v<T, Vote>) on_vote(from, body, own);
        if constexpr (std::is_same_v<T, NewView>) on_new_view(from, body, own);
        if constexpr (std::is_same_v<T, BlockRequest>) on_block_request(from, body);
        if constexpr (std::is_same_v<T, BlockResponse>) on_block_response(from, body);
      },
      *hm);
}

void HotStuffReplica::on_client_request(const std::shared_ptr<const Request>& r) {
  if (auto a = check_request(*r, *signer_, *verifier_, cfg_.n); a != RequestAuth::ok) {
    reject(to_string(a), pacemaker_.current_view());
    return;
  }
  if (sm_.already_executed(r->client, r->id)) {
    // A retransmission of an executed request: answer from the reply cache.
    const smr::ClientEntry* e = sm_.client_entry(r->client);
    if (const Bytes* cached = e ? e->result_of(r->id) : nullptr) {
      auto reply = make_reply(exec_view_, r->client, r->id, id_, *cached, *signer_);
      out_->list.emplace_back(reply_effect(r->client, std::move(reply)));
    }
    return;
  }
  if (pool_.add(r, now_) == RequestPool::Added::full) {
    reject("request_pool_full", pacemaker_.current_view());
    return;
  }
  try_propose();
}

void HotStuffReplica::on_timer(TimerId id) {
  switch (id) {
    case kViewTimer:
      view_timer_armed_ = false;
      on_view_timeout();
      return;
    case kBatchTimer:
      batch_timer_armed_ = false;
      batch_deadline_passed_ = true;
      try_propose();
      return;
    case kRetransmitTimer:
      on_retransmit_timer();
      return;
    case kFetchTimer:
      fetch_timer_armed_ = false;
      on_fetch_timer();
      return;
    case kNewViewTimer:
      new_view_timer_armed_ = false;
      on_new_view_timer();
      return;
  }
}

// Messages a replica sends itself (the leader's own proposal, a vote or NEW-VIEW for
// itself) are handled after the current handler returns, never re-entrantly.
void HotStuffReplica::drain_self_inbox() {
  for (std::size_t guard = 0; !self_inbox_.empty() && guard < 1024; ++guard) {
    MessagePtr m = std::move(self_inbox_.front());
    self_inbox_.pop_front();
    on_message(id_, m, true);
  }
  self_inbox_.clear();
}

void HotStuffReplica::send_to(NodeId to, hotstuff::Message m) {
  MessagePtr msg = make_message(std::move(m));
  if (to == id_) {
    self_inbox_.push_back(std::move(msg));
    return;
  }
  out_->send(to, std::move(msg));
}

// One shared message for the peers and for ourselves: a proposal's batch is not copied.
void HotStuffReplica::broadcast(hotstuff::Message m) {
  MessagePtr msg = make_message(std::move(m));
  out_->broadcast(msg);
  self_inbox_.push_back(std::move(msg));
}

void HotStuffReplica::reject(const std::string& reason, View view, const std::string& detail) {
  ++rejected_[reason];
  out_->trace("reject", view, 0, detail.empty() ? reason : reason + ": " + detail);
}

void HotStuffReplica::evidence(NodeId culprit, EvidenceEffect::Kind kind,
                               const std::string& detail) {
  if (culprit == id_) return;
  out_->list.emplace_back(EvidenceEffect{culprit, kind, detail});
}

// Verifies a QC that `culprit` signed into its message. A bad QC in a signed message
// is proof of misbehaviour: an honest node only relays QCs it verified.
bool HotStuffReplica::verify_qc_from(const QuorumCert& qc, NodeId culprit, View view) {
  if (qc_cache_.known(qc)) return true;
  QcCheck c = check_qc(qc, cfg_, *verifier_, last_vote_ ? &*last_vote_ : nullptr);
  if (c != QcCheck::ok) {
    reject(std::string(to_string(c)), view, "from " + std::to_string(culprit.value));
    evidence(culprit, EvidenceEffect::Kind::protocol_violation,
             "signed message carries an invalid QC (" + std::string(to_string(c)) + ")");
    return false;
  }
  qc_cache_.add(qc);
  return true;
}

void HotStuffReplica::persist_safety() {
  out_->persist(kSafetyKey, encode_safety(safety_));
}

ReplicaStatus HotStuffReplica::status() const {
  ReplicaStatus s;
  s.view = pacemaker_.current_view();
  s.committed = sm_.last_position();
  s.state_hash = sm_.state_hash();
  s.is_leader = cfg_.leader(s.view) == id_;
  s.view_changes = view_changes_;
  s.rejected = rejected_;
  return s;
}

}  // namespace knhk::hotstuff
