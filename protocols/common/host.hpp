// The sans-I/O contract between a replica and whatever runs it (simulator, UDP host,
// or a recording test host). A replica is fed Inputs, each with the current time, and
// appends Effects; it never performs I/O, reads a clock or draws randomness itself.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocols/common/digest.hpp"
#include "protocols/common/request.hpp"
#include "protocols/common/types.hpp"

namespace knhk {

struct Message;  // protocols/message.hpp: every wire message of every protocol
using MessagePtr = std::shared_ptr<const Message>;

// Chosen by the replica; setting a timer that is already set re-arms it.
using TimerId = std::uint64_t;

// Simulated disk in the simulator, a data directory on real hosts. Survives crashes.
using DurableStore = std::map<std::string, Bytes>;

// The key of a numbered record: prefix + n as 20 zero-padded digits, so that a store's
// records sort in number order (digits written by hand: snprintf was a visible cost per
// committed batch).
inline std::string numbered_key(std::string_view prefix, std::uint64_t n) {
  std::string key(prefix.size() + 20, '0');
  prefix.copy(key.data(), prefix.size());
  for (std::size_t i = key.size(); n != 0; n /= 10) key[--i] = static_cast<char>('0' + n % 10);
  return key;
}

// ---- inputs ----
struct StartInput {
  const DurableStore* recovered = nullptr;  // what the store held at (re)start; empty at first boot
};
struct MessageInput {
  NodeId from;  // authenticated link source (the sender's replica id)
  MessagePtr msg;
};
struct TimerInput {
  TimerId id;
};
struct ClientRequestInput {
  std::shared_ptr<const Request> request;
};
using Input = std::variant<StartInput, MessageInput, TimerInput, ClientRequestInput>;

// ---- effects ----
struct SendEffect {
  NodeId to;
  MessagePtr msg;
};
struct BroadcastEffect {  // to every replica except the sender
  MessagePtr msg;
};
struct SetTimerEffect {
  TimerId id;
  Duration after;
};
struct CancelTimerEffect {
  TimerId id;
};
// One committed batch at log position `position` (1, 2, 3, ...), after execution.
struct CommitEffect {
  Seq position;
  View view;
  std::uint64_t slot = 0;  // PBFT sequence number or HotStuff block height
  Digest batch_digest;
  std::shared_ptr<const Batch> batch;
  Digest state_hash;  // application state after this batch
  // Indexes into `batch` of requests not executed because they already were (a
  // retransmission re-proposed, or a Byzantine leader's duplicate): integrity is about
  // execution, and a batch may legitimately carry such requests.
  std::vector<std::uint32_t> skipped;
};
struct ReplyEffect {
  ClientId client;
  std::shared_ptr<const Reply> reply;
  // The same reply already wrapped in the Message that carries it (reply aliases into
  // it), when the replica built it with reply_effect(): the host sends it without a copy.
  MessagePtr message;
};
// Written to durable storage before any later effect is executed (write-ahead).
struct PersistEffect {
  std::string key;
  Bytes value;
  bool erase = false;
};
// Evidence that a peer is Byzantine: something no honest node could have sent.
struct EvidenceEffect {
  enum class Kind : std::uint8_t { invalid_signature, equivocation, protocol_violation };
  NodeId culprit;
  Kind kind;
  std::string detail;
};
// A protocol-level event for the trace (view change, checkpoint, state transfer, reject...).
struct TraceEffect {
  std::string kind;
  View view;
  std::uint64_t seq = 0;
  std::string detail;
};

using Effect = std::variant<SendEffect, BroadcastEffect, SetTimerEffect, CancelTimerEffect,
                            CommitEffect, ReplyEffect, PersistEffect, EvidenceEffect, TraceEffect>;

struct Effects {
  std::vector<Effect> list;

  void send(NodeId to, MessagePtr m) { list.emplace_back(SendEffect{to, std::move(m)}); }
  void broadcast(MessagePtr m) { list.emplace_back(BroadcastEffect{std::move(m)}); }
  void set_timer(TimerId id, Duration after) { list.emplace_back(SetTimerEffect{id, after}); }
  void cancel_timer(TimerId id) { list.emplace_back(CancelTimerEffect{id}); }
  void persist(std::string key, Bytes value) {
    list.emplace_back(PersistEffect{std::move(key), std::move(value), false});
  }
  void erase(std::string key) { list.emplace_back(PersistEffect{std::move(key), {}, true}); }
  void trace(std::string kind, View v, std::uint64_t seq, std::string detail = {}) {
    list.emplace_back(TraceEffect{std::move(kind), v, seq, std::move(detail)});
  }
  void clear() { list.clear(); }
};

// A snapshot of a replica's externally visible state, for checkers, metrics and tests.
struct ReplicaStatus {
  View view;
  Seq committed;      // log positions committed so far
  Digest state_hash;  // application state hash after `committed`
  bool is_leader = false;
  std::uint64_t view_changes = 0;
  std::map<std::string, std::uint64_t> rejected;  // reason -> count
};

class Replica {
 public:
  virtual ~Replica() = default;
  virtual void step(Time now, const Input& input, Effects& out) = 0;
  virtual ReplicaStatus status() const = 0;
};

}  // namespace knhk
