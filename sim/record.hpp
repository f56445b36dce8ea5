// What a run produced, for the checkers, reports and tests: every commit of every
// replica, every client operation, Byzantine evidence, message counters, view changes
// and which replicas were faulty. Filled by the Simulation as the run proceeds.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocols/common/host.hpp"
#include "protocols/common/request.hpp"
#include "sim/network.hpp"

namespace knhk::sim {

// What the record keeps of a committed request: the fields the checkers read. A replica's
// Request also carries a 64-byte signature, a MAC authenticator and digest memos (160 bytes
// before its operation): 41 MB of the 260 MB a 60 s PBFT benchmark's heap peaked at.
struct RecordedRequest {
  ClientId client;
  RequestId id;
  Bytes operation;

  bool operator==(const RecordedRequest&) const = default;
};
using RecordedBatch = std::vector<RecordedRequest>;

struct CommitRecord {
  Time time;
  NodeId node;
  Seq position;
  View view;
  std::uint64_t slot = 0;
  Digest batch_digest;
  // Each request's client, id and operation only (sim/recorded_batches.hpp): no MACs or
  // signatures; batch_digest is of the batch as the replica committed it.
  std::shared_ptr<const RecordedBatch> batch;
  Digest state_hash;
  std::vector<std::uint32_t> skipped;  // batch indexes not executed (see CommitEffect)
};

struct ClientOperation {
  ClientId client;
  RequestId request;
  Bytes operation;
  Time submitted;
  std::optional<Time> completed;  // when f+1 matching replies arrived
  Bytes result;                   // the matching result (empty until completed)
  std::uint32_t retransmissions = 0;
};

struct EvidenceRecord {
  Time time;
  NodeId reporter;
  NodeId culprit;
  EvidenceEffect::Kind kind;
  std::string detail;
};

// Why a replica counts as faulty (crashed at some point, Byzantine behaviour, ...).
struct FaultyMark {
  Time since;
  std::string reason;
};

struct RunRecord {
  std::uint32_t replicas = 0;
  std::uint32_t clients = 0;
  Time end;  // virtual time when the record was last updated by run_until()

  std::vector<CommitRecord> commits;        // in the order they happened
  std::vector<ClientOperation> operations;  // in submission order
  std::vector<EvidenceRecord> evidence;
  std::map<std::string, TypeCounters> messages;      // by message type (see Network)
  std::map<NodeId, std::uint64_t> view_changes;      // from each replica's last status
  std::map<NodeId, std::vector<FaultyMark>> faulty;  // replicas marked faulty and why
  std::uint64_t crashes = 0;
  std::uint64_t restarts = 0;

  // Commits of one replica, in position order of occurrence.
  std::vector<const CommitRecord*> commits_of(NodeId n) const;
  bool is_faulty(NodeId n) const { return faulty.count(n) > 0; }
  std::size_t completed_operations() const;
};

}  // namespace knhk::sim
