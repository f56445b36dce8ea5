// Small replicas for testing the simulator without a real protocol.
#pragma once

#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "protocols/common/codec.hpp"
#include "protocols/factory.hpp"
#include "protocols/message.hpp"

namespace knhk::simtest {

inline std::uint64_t read_u64(const DurableStore* store, const std::string& key) {
  if (!store) return 0;
  auto it = store->find(key);
  if (it == store->end() || it->second.size() != 8) return 0;
  Reader r(it->second);
  return r.u64();
}
inline Bytes u64_bytes(std::uint64_t v) {
  Writer w;
  w.u64(v);
  return w.take();
}

// Not consensus: every replica forwards each client request to all others once, commits
// each request the first time it sees it (in its own arrival order), and replies with
// the operation bytes as result. Counts boots durably; its commit count is volatile.
class EchoReplica : public Replica {
 public:
  explicit EchoReplica(const ReplicaSetup& s) : setup_(s) {}

  void step(Time now, const Input& input, Effects& out) override {
    if (auto* start = std::get_if<StartInput>(&input)) {
      boots_ = read_u64(start->recovered, "boots") + 1;
      out.persist("boots", u64_bytes(boots_));
    } else if (auto* req = std::get_if<ClientRequestInput>(&input)) {
      if (accept(*req->request, out))
        out.broadcast(make_message(Request(*req->request)));
      else
        reply(*req->request, out);  // a retransmission: answer again, like a reply cache
    } else if (auto* msg = std::get_if<MessageInput>(&input)) {
      if (auto* r = std::get_if<Request>(&msg->msg->body)) accept(*r, out);
    }
  }
  ReplicaStatus status() const override {
    ReplicaStatus s;
    s.committed = Seq(committed_);
    s.is_leader = setup_.id == NodeId(0);
    return s;
  }
  std::uint64_t boots() const { return boots_; }

 private:
  bool accept(const Request& r, Effects& out) {
    if (!seen_.insert({r.client, r.id}).second) return false;
    ++committed_;
    auto batch = std::make_shared<const Batch>(Batch{r});
    CommitEffect commit;
    commit.position = Seq(committed_);
    commit.view = View(0);
    commit.slot = committed_;
    commit.batch_digest = batch_digest(*batch);
    commit.batch = batch;
    commit.state_hash = blake2b(u64_bytes(committed_));
    out.list.emplace_back(std::move(commit));
    reply(r, out);
    return true;
  }
  void reply(const Request& r, Effects& out) {
    auto reply = make_signed_reply(View(0), r.client, r.id, setup_.id, r.operation, *setup_.signer);
    out.list.emplace_back(
        ReplyEffect{r.client, std::make_shared<const Reply>(std::move(reply)), nullptr});
  }
  ReplicaSetup setup_;
  std::set<std::pair<ClientId, RequestId>> seen_;
  std::uint64_t committed_ = 0;
  std::uint64_t boots_ = 0;
};

// Logs every timer it sees, with the node's clock. Behaviour per timer id:
//   1 (at 10ms): re-arms 2 to fire 50ms later, cancels 3, re-arms 4 (due at 40ms) to an
//   earlier 15ms, and cancels 5 (due at 30ms) and arms it again for 50ms;
//   2, 3, 4, 5: nothing;  7: periodic every 10ms.
struct TimerLog {
  std::vector<std::tuple<NodeId, TimerId, Time>> fired;
  std::vector<std::pair<NodeId, std::uint64_t>> boots;  // node, boot count read from its store
};

class TimerReplica : public Replica {
 public:
  TimerReplica(const ReplicaSetup& s, std::shared_ptr<TimerLog> log) : id_(s.id), log_(log) {}

  void step(Time now, const Input& input, Effects& out) override {
    if (auto* start = std::get_if<StartInput>(&input)) {
      const std::uint64_t boots = read_u64(start->recovered, "boots") + 1;
      log_->boots.emplace_back(id_, boots);
      out.persist("boots", u64_bytes(boots));
      out.set_timer(1, Duration::millis_(10));
      out.set_timer(2, Duration::millis_(20));
      out.set_timer(3, Duration::millis_(30));
      out.set_timer(4, Duration::millis_(40));
      out.set_timer(5, Duration::millis_(30));
      out.set_timer(7, Duration::millis_(10));
    } else if (auto* t = std::get_if<TimerInput>(&input)) {
      log_->fired.emplace_back(id_, t->id, now);
      if (t->id == 1) {
        out.set_timer(2, Duration::millis_(50));
        out.cancel_timer(3);
        out.set_timer(4, Duration::millis_(5));
        out.cancel_timer(5);
        out.set_timer(5, Duration::millis_(40));
      }
      if (t->id == 7) out.set_timer(7, Duration::millis_(10));
    }
  }
  ReplicaStatus status() const override { return {}; }

 private:
  NodeId id_;
  std::shared_ptr<TimerLog> log_;
};

}  // namespace knhk::simtest
