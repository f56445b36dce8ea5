// Helpers for PBFT unit tests: a replica under a RecordingHost, keys for every replica and
// client of a small cluster, and signed messages "from" other replicas.
#pragma once

#include <memory>
#include <string>

#include "protocols/common/errors.hpp"
#include "protocols/pbft/factory.hpp"
#include "protocols/pbft/messages.hpp"
#include "protocols/pbft/replica.hpp"
#include "protocols/testing/recording_host.hpp"

namespace knhk::pbft::test {

using testing::RecordingHost;

inline constexpr std::uint64_t kSeed = 11;

inline ProtocolParams small_params(std::uint32_t n = 4) {
  ProtocolParams p;
  p.nodes = n;
  p.batch_size = 1;
  p.checkpoint_interval = 4;
  p.log_window = 8;
  p.view_timeout = Duration::millis_(100);
  p.snapshot_interval = 1000;
  return p;
}

struct Keys {
  SimKeyRing ring{kSeed};
  std::shared_ptr<const Signer> replica(std::uint32_t i) const {
    return ring.signer(Principal::replica(NodeId(i)));
  }
  std::shared_ptr<const Signer> client(std::uint32_t c) const {
    return ring.signer(Principal::client(ClientId(c)));
  }
  std::shared_ptr<const Verifier> verifier() const { return ring.verifier(); }
};

inline std::unique_ptr<Replica> make(const ProtocolParams& p, std::uint32_t id, const Keys& k) {
  ReplicaSetup s{p, NodeId(id), k.replica(id), k.verifier()};
  return pbft::make_replica(s);
}

// kv "put" is whatever bytes; the application rejects malformed operations with an error
// result, which is still a deterministic result.
inline Request request(const Keys& k, std::uint32_t client, std::uint64_t id,
                       std::string op = "op") {
  return make_signed_request(ClientId(client), RequestId(id), Bytes(op.begin(), op.end()),
                             *k.client(client));
}

template <class T>
T signed_by(T m, const Keys& k) {
  sign(m, *k.replica(m.replica.value));
  return m;
}

inline PrePrepare pre_prepare(const Keys& k, View v, Seq n, Batch b, std::uint32_t primary) {
  PrePrepare pp{v, n, batch_digest(b), std::move(b), NodeId(primary), {}};
  return signed_by(pp, k);
}
inline Prepare prepare(const Keys& k, const PrePrepare& pp, std::uint32_t who) {
  return signed_by(Prepare{pp.view, pp.seq, pp.digest, NodeId(who), {}}, k);
}
inline Commit commit(const Keys& k, const PrePrepare& pp, std::uint32_t who) {
  return signed_by(Commit{pp.view, pp.seq, pp.digest, NodeId(who), {}}, k);
}

template <class T>
std::vector<T> sent(const std::vector<Effect>& e) {
  return RecordingHost::sent<T>(e);
}
template <class E>
std::vector<E> effects(const std::vector<Effect>& e) {
  return RecordingHost::effects_of<E>(e);
}
inline std::uint64_t rejected(RecordingHost& h, const std::string& reason) {
  auto s = h.replica().status();
  auto it = s.rejected.find(reason);
  return it == s.rejected.end() ? 0 : it->second;
}

}  // namespace knhk::pbft::test

namespace knhk::pbft::test {

// Drives backup `self` through pre-prepare, prepares and commits of one batch in view `v`.
inline std::vector<Effect> drive_commit(RecordingHost& h, const Keys& k, std::uint32_t self,
                                        std::uint32_t n_replicas, View v, Seq n, Batch b) {
  std::uint32_t primary = static_cast<std::uint32_t>(v.value % n_replicas);
  auto pp = pre_prepare(k, v, n, std::move(b), primary);
  std::vector<Effect> all;
  auto keep = [&all](const std::vector<Effect>& e) { all.insert(all.end(), e.begin(), e.end()); };
  keep(h.deliver(NodeId(primary), pbft::Message{pp}));
  for (std::uint32_t i = 0; i < n_replicas; ++i)
    if (i != self && i != primary) keep(h.deliver(NodeId(i), pbft::Message{prepare(k, pp, i)}));
  for (std::uint32_t i = 0; i < n_replicas; ++i)
    if (i != self) keep(h.deliver(NodeId(i), pbft::Message{commit(k, pp, i)}));
  return all;
}

inline bool has_trace(const std::vector<Effect>& e, const std::string& kind) {
  for (const auto& t : effects<TraceEffect>(e))
    if (t.kind == kind) return true;
  return false;
}

}  // namespace knhk::pbft::test
