#include "protocols/common/client.hpp"

#include "protocols/common/sorted_pairs.hpp"
#include "protocols/message.hpp"

namespace knhk {

ClientCore::ClientCore(ClientCoreConfig config, std::shared_ptr<const Signer> signer,
                       std::shared_ptr<const Verifier> verifier)
    : config_(config),
      rules_{config.replicas},
      signer_(std::move(signer)),
      verifier_(std::move(verifier)),
      next_id_(config.first_request) {}

RequestId ClientCore::submit(Time now, Bytes operation, ClientOutput& out) {
  const RequestId id = next_id_;
  next_id_ = next_id_.next();
  Pending p;
  p.message = make_message(
      make_client_request(config_.id, id, std::move(operation), *signer_, config_.replicas));
  p.submitted = now;
  p.deadline = now + config_.request_timeout;
  out.to_all_replicas.push_back(p.message);
  pending_.emplace_back(id, std::move(p));
  return id;
}

void ClientCore::on_reply(Time now, const Reply& reply, ClientOutput& out) {
  if (reply.client != config_.id) return reject("wrong_client");
  auto it = find_pending(reply.id);
  if (it == pending_.end()) {
    ++late_replies_;
    return;
  }
  if (reply.replica.value >= config_.replicas || reply.replica.value >= kMaxAuthenticatorEntries)
    return reject("unknown_replica");
  if (!check_reply(reply, *signer_, *verifier_))
    return reject(reply.mac ? "bad_mac" : "bad_signature");
  Pending& p = it->second;
  // A replica's first reply is its answer; a second one cannot add a vote.
  if (p.replied.test(reply.replica.value)) return reject("duplicate_reply");
  p.replied.set(reply.replica.value);
  std::pair<Bytes, std::uint32_t>* vote = nullptr;
  for (auto& v : p.votes)
    if (v.first == reply.result) vote = &v;
  if (!vote) vote = &p.votes.emplace_back(reply.result, 0);
  if (++vote->second < rules_.weak_quorum()) return;
  out.completions.push_back(
      ClientCompletion{reply.id, std::move(vote->first), p.submitted, now, p.retransmissions});
  pending_.erase(it);
}

void ClientCore::on_timer(Time now, ClientOutput& out) {
  for (auto& [id, p] : pending_) {
    if (p.deadline > now) continue;
    ++p.retransmissions;
    p.deadline = now + config_.request_timeout;
    out.to_all_replicas.push_back(p.message);
  }
}

std::vector<std::pair<RequestId, ClientCore::Pending>>::iterator ClientCore::find_pending(
    RequestId id) {
  return find_by_key(pending_, id);
}

std::map<std::string, std::uint64_t> ClientCore::rejected() const {
  auto all = rejected_;
  if (late_replies_ > 0) all["unknown_request"] += late_replies_;
  return all;
}

std::optional<Time> ClientCore::next_deadline() const {
  std::optional<Time> earliest;
  for (const auto& [id, p] : pending_)
    if (!earliest || p.deadline < *earliest) earliest = p.deadline;
  return earliest;
}

}  // namespace knhk
