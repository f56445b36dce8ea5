// A host for unit tests: feed a replica inputs by hand and assert on the effects it
// returns. Durable writes are applied to an in-memory store, so a test can "crash"
// a replica (drop it) and restart a new one from `store`.
#pragma once

#include <memory>
#include <vector>

#include "protocols/common/host.hpp"
#include "protocols/message.hpp"

namespace knhk::testing {

class RecordingHost {
 public:
  explicit RecordingHost(std::unique_ptr<Replica> replica) : replica_(std::move(replica)) {}

  Replica& replica() { return *replica_; }
  void replace_replica(std::unique_ptr<Replica> r) { replica_ = std::move(r); }

  Time now() const { return now_; }
  void advance(Duration d) { now_ = now_ + d; }

  // Each call returns (and also accumulates in `all()`) the effects of that one input.
  const std::vector<Effect>& start() { return feed(StartInput{&store}); }
  const std::vector<Effect>& deliver(NodeId from, MessagePtr m) {
    return feed(MessageInput{from, std::move(m)});
  }
  template <class T>
  const std::vector<Effect>& deliver(NodeId from, T body) {
    return deliver(from, make_message(std::move(body)));
  }
  const std::vector<Effect>& fire(TimerId id) { return feed(TimerInput{id}); }
  const std::vector<Effect>& client_request(Request r) {
    return feed(ClientRequestInput{std::make_shared<const Request>(std::move(r))});
  }

  const std::vector<Effect>& last() const { return last_.list; }
  const std::vector<Effect>& all() const { return all_; }
  void clear_all() { all_.clear(); }

  // Protocol messages of type T (e.g. pbft::Prepare) sent or broadcast in `effects`.
  template <class T>
  static std::vector<T> sent(const std::vector<Effect>& effects) {
    std::vector<T> out;
    for (const auto& e : effects) {
      const Message* m = nullptr;
      if (auto* s = std::get_if<SendEffect>(&e)) m = s->msg.get();
      if (auto* b = std::get_if<BroadcastEffect>(&e)) m = b->msg.get();
      if (!m) continue;
      if (auto* v = find<T>(*m)) out.push_back(*v);
    }
    return out;
  }
  template <class E>
  static std::vector<E> effects_of(const std::vector<Effect>& effects) {
    std::vector<E> out;
    for (const auto& e : effects)
      if (auto* x = std::get_if<E>(&e)) out.push_back(*x);
    return out;
  }
  // Is timer `id` armed after everything fed so far?
  bool timer_armed(TimerId id) const {
    bool armed = false;
    for (const auto& e : all_) {
      if (auto* s = std::get_if<SetTimerEffect>(&e); s && s->id == id) armed = true;
      if (auto* c = std::get_if<CancelTimerEffect>(&e); c && c->id == id) armed = false;
    }
    return armed;
  }

  DurableStore store;

 private:
  template <class T>
  static const T* find(const Message& m) {
    if constexpr (std::is_same_v<T, Request> || std::is_same_v<T, Reply>) {
      return std::get_if<T>(&m.body);
    }
    if constexpr (std::is_constructible_v<pbft::Message, T>) {
      if (auto* p = std::get_if<pbft::Message>(&m.body)) return std::get_if<T>(p);
    }
    if constexpr (std::is_constructible_v<hotstuff::Message, T>) {
      if (auto* h = std::get_if<hotstuff::Message>(&m.body)) return std::get_if<T>(h);
    }
    return nullptr;
  }

  const std::vector<Effect>& feed(const Input& in) {
    last_.clear();
    replica_->step(now_, in, last_);
    for (const auto& e : last_.list) {
      if (auto* p = std::get_if<PersistEffect>(&e)) {
        if (p->erase)
          store.erase(p->key);
        else
          store[p->key] = p->value;
      }
      all_.push_back(e);
    }
    return last_.list;
  }

  std::unique_ptr<Replica> replica_;
  Time now_{};
  Effects last_;
  std::vector<Effect> all_;
};

}  // namespace knhk::testing
