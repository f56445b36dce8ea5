// Executes committed batches in log order into an Application, with at-most-once
// semantics per (client, request id), a reply cache, a durable command log and
// snapshots every `snapshot_interval` commands. Shared by PBFT and HotStuff.
//
// Durable layout (keys of the DurableStore, written through PersistEffects):
//   "smr/log/<position, 20 digits>"  one committed batch (view, slot, batch)
//   "smr/snapshot"                   the latest snapshot (position, app state, client table)
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "protocols/common/host.hpp"
#include "protocols/smr/application.hpp"

namespace knhk::smr {

// The last executed request of one client and its result (the reply cache).
struct ClientEntry {
  RequestId last_request;
  Bytes last_result;
  bool operator==(const ClientEntry&) const = default;
};

// Everything needed to reproduce the replicated state at `position`.
struct Snapshot {
  Seq position;
  Bytes app_state;
  std::map<ClientId, ClientEntry> clients;
  Digest state_hash;  // hash over position, app state and client table
};
Bytes encode_snapshot(const Snapshot& s);
std::optional<Snapshot> decode_snapshot(std::span<const std::uint8_t> bytes);

struct ExecutedRequest {
  const Request* request;  // points into the executed batch
  Bytes result;
  bool duplicate = false;  // already executed earlier; result is the cached one (or empty if older)
};

struct ExecutionResult {
  Seq position;
  Digest state_hash;
  std::vector<ExecutedRequest> requests;
};

class StateMachine {
 public:
  StateMachine(std::unique_ptr<Application> app, std::uint64_t snapshot_interval);

  // Rebuilds state from the store: restore the snapshot, replay logged batches after it.
  void recover(const DurableStore& store);

  // Executes `batch` at position last_position()+1, persists it, emits a CommitEffect,
  // and takes a snapshot when due.
  ExecutionResult execute(std::shared_ptr<const Batch> batch, View view, std::uint64_t slot,
                          Effects& out);

  Seq last_position() const { return position_; }
  Digest state_hash() const;
  // The reply cache entry for a client, if it has executed anything.
  const ClientEntry* client_entry(ClientId c) const;
  bool already_executed(ClientId c, RequestId id) const;

  // A snapshot of the current state (for checkpoints and state transfer).
  Snapshot take_snapshot() const;
  const std::optional<Snapshot>& last_durable_snapshot() const { return durable_snapshot_; }
  // Replaces the whole state (state transfer or rollback); persists it as the durable snapshot.
  // Returns false and changes nothing if the snapshot does not hash to its state_hash.
  bool install_snapshot(const Snapshot& s, Effects& out);

 private:
  std::unique_ptr<Application> app_;
  std::uint64_t snapshot_interval_;
  Seq position_;
  std::uint64_t commands_since_snapshot_ = 0;
  std::map<ClientId, ClientEntry> clients_;
  std::optional<Snapshot> durable_snapshot_;
};

}  // namespace knhk::smr
