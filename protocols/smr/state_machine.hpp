// Executes committed batches in log order into an Application, with at-most-once
// semantics per (client, request id), a reply cache, a durable command log and
// snapshots every `snapshot_interval` commands. Shared by PBFT and HotStuff.
//
// Durable layout (keys of the DurableStore, written through PersistEffects):
//   "smr/log/<position, 20 digits>"  one committed batch (view, slot, batch)
//   "smr/snapshot"                   the latest snapshot (position, app state, client table)
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <boost/circular_buffer.hpp>

#include "protocols/common/client_map.hpp"
#include "protocols/common/host.hpp"
#include "protocols/smr/application.hpp"
#include "protocols/smr/digest_sum.hpp"

namespace knhk::smr {

// What one client has executed, and the reply cache. Clients may have several requests
// in flight (closed loop with `outstanding` > 1, open loop), so requests can commit out
// of id order: an id counts as executed when it is < `floor` or in `recent`. `recent`
// keeps the results of the last kReplyCacheWindow executed ids; when it overflows, its
// smallest id + 1 becomes the new floor (an id that old and still unexecuted is treated as
// a duplicate — no client keeps that many requests outstanding).
inline constexpr std::size_t kReplyCacheWindow = 64;

struct ClientEntry {
  RequestId last_request;  // highest id executed
  Bytes last_result;       // its result
  RequestId floor;         // every id < floor counts as executed
  // Executed ids ≥ floor with their results, sorted by id. A deque: every execution
  // evicts the oldest entry once the window is full, which in a vector moved all the
  // others (and every replica looks ids up here for every request it receives: contiguous
  // runs, no node per entry as in a map).
  std::deque<std::pair<RequestId, Bytes>> recent;

  bool executed(RequestId id) const {
    if (id < floor) return true;
    // Every id in `recent` is ≤ last_request: a newer id is not executed, without a look
    // into the window (most lookups are of new requests).
    return id <= last_request && find(id) != nullptr;
  }
  // The cached result of an executed id, if still in the window.
  const Bytes* result_of(RequestId id) const {
    const auto* r = find(id);
    return r ? &r->second : nullptr;
  }
  const std::pair<RequestId, Bytes>* find(RequestId id) const;
  std::pair<RequestId, Bytes>* find(RequestId id) {
    return const_cast<std::pair<RequestId, Bytes>*>(std::as_const(*this).find(id));
  }
  // Records the result of a newly executed id (not already in `recent`); returns its
  // index in `recent`.
  std::size_t insert(RequestId id, Bytes result);
  bool operator==(const ClientEntry&) const = default;
};

// Everything needed to reproduce the replicated state at `position`.
struct Snapshot {
  Seq position;
  Bytes app_state;
  std::map<ClientId, ClientEntry> clients;
  Digest state_hash;  // hash over position, app state and client table
  bool operator==(const Snapshot&) const = default;
};
Bytes encode_snapshot(const Snapshot& s);
Bytes encode_snapshot(Seq position, const Bytes& app_state,
                      const std::map<ClientId, ClientEntry>& clients, const Digest& state_hash);
// A client table as encode_snapshot reads it, in increasing id order: lets a caller that
// keeps its entries in another container encode them without copying them into a map.
struct SnapshotClient {
  ClientId id;
  const ClientEntry* entry;
  // entry->recent already encoded (append_window_entry per entry, in order), if the caller
  // keeps it so; otherwise it is encoded from entry->recent.
  std::optional<std::span<const std::uint8_t>> encoded_window = std::nullopt;
};
Bytes encode_snapshot(Seq position, const Bytes& app_state, std::span<const SnapshotClient> clients,
                      const Digest& state_hash);
// Appends one reply-window entry (id, length-prefixed result) as a snapshot encodes it.
void append_window_entry(Bytes& out, RequestId id, const Bytes& result);
// Strict: rejects trailing bytes and client tables that are not sorted; does not check
// the hash (install_snapshot and recover do).
std::optional<Snapshot> decode_snapshot(std::span<const std::uint8_t> bytes);
// The replicated state hash: BLAKE2b over a domain tag, the position, the application's
// state hash, the number of clients and the client-table digest. The table digest is the
// sum modulo 2^256 (an AdHash-style multiset hash) of one element per client — its header,
// client_header_digest — and one per cached reply, reply_digest over every client's
// `recent`. A commit adds and removes the elements its batch changed only, and the digest
// depends on the table's contents alone, not on the order in which clients were added.
Digest compute_state_hash(Seq position, const Digest& app_hash,
                          const std::map<ClientId, ClientEntry>& clients);
Digest compute_state_hash(Seq position, const Digest& app_hash, std::size_t client_count,
                          const Digest& table_digest, const DigestMemo* memo = nullptr);
Digest reply_digest(ClientId c, RequestId id, const Bytes& result);
// The same digest, looked up in (and added to) `memo` by its exact input bytes if a memo
// is given: the executed request's, shared by every replica that executes that object.
Digest reply_digest(ClientId c, RequestId id, const Bytes& result, const DigestMemo* memo);
// The sum of reply_digest over e.recent.
Digest reply_cache_digest(ClientId c, const ClientEntry& e);
// When e.last_request and e.last_result are the window's newest entry and e.floor is at or
// below its oldest id (always so once a client has executed anything here), the header
// is written relative to the window: only oldest id - floor, the gap returned here. The
// window's elements determine the rest, and the gap stays the same from request to request
// while ids arrive in order, so the header element need not be rehashed. nullopt otherwise.
std::optional<std::uint64_t> window_floor_gap(const ClientEntry& e);
// BLAKE2b over a domain tag, the client id and either (1, gap) or (0, last_request,
// last_result, floor), so that with the client's reply elements it determines the entry.
Digest client_header_digest(ClientId c, const ClientEntry& e);
// A client's share of the table digest: its header plus its reply elements.
Digest client_digest(ClientId c, const ClientEntry& e);
Digest client_table_digest(const std::map<ClientId, ClientEntry>& clients);
// Digests as 256-bit little-endian integers, modulo 2^256: digest_add and digest_sub, inline
// in digest_sum.hpp.
// True when s.state_hash matches its contents (the app state hashed by snapshot_state_hash).
bool snapshot_hash_valid(const Snapshot& s);

// One committed batch as the durable log stores it under log_key(position).
struct LogEntry {
  View view;
  std::uint64_t slot = 0;
  Batch batch;
  bool operator==(const LogEntry&) const = default;
};
Bytes encode_log_entry(const LogEntry& e);
// The same bytes as encode_log_entry(LogEntry{view, slot, batch}), without copying the batch.
Bytes encode_log_entry(View view, std::uint64_t slot, const Batch& batch);
// The same bytes again, from the batch's own encoding (knhk::encode(w, batch)), such as the
// one PBFT keeps with a pre-prepare: the batch is then not encoded again at every replica.
Bytes encode_log_entry(View view, std::uint64_t slot, std::span<const std::uint8_t> encoded_batch);
std::optional<LogEntry> decode_log_entry(std::span<const std::uint8_t> bytes);
inline constexpr const char* kSnapshotKey = "smr/snapshot";
inline constexpr const char* kLogKeyPrefix = "smr/log/";
std::string log_key(Seq position);  // "smr/log/00000000000000000042"

// What recover() found in the store.
struct RecoveryReport {
  bool ok = true;              // false: a stored snapshot or log entry was unusable
  Seq snapshot_position;       // 0 when no snapshot was stored
  std::uint64_t replayed = 0;  // batches replayed from the log after the snapshot
  std::string error;           // why ok is false
};

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
  // Replay stops at the first missing or unreadable log entry (reported, not thrown).
  RecoveryReport recover(const DurableStore& store);

  // Executes `batch` at position last_position()+1, persists it, emits a CommitEffect,
  // and takes a snapshot when due.
  ExecutionResult execute(std::shared_ptr<const Batch> batch, View view, std::uint64_t slot,
                          Effects& out);
  // The same, for a caller that already holds batch_digest(*batch) (PBFT verified it on
  // the pre-prepare): hashing the batch again was a visible cost per replica per slot. A
  // non-empty `encoded_batch` (knhk::encode of *batch) goes into the log entry as it is.
  ExecutionResult execute(std::shared_ptr<const Batch> batch, const Digest& digest, View view,
                          std::uint64_t slot, Effects& out,
                          std::span<const std::uint8_t> encoded_batch = {});

  Seq last_position() const { return position_; }
  Digest state_hash() const;
  // The reply cache entry for a client, if it has executed anything.
  const ClientEntry* client_entry(ClientId c) const;
  bool already_executed(ClientId c, RequestId id) const;

  // A snapshot of the current state (for checkpoints and state transfer).
  Snapshot take_snapshot() const;
  // encode_snapshot(take_snapshot()) without copying the client table first.
  Bytes encoded_snapshot() const;
  const std::optional<Snapshot>& last_durable_snapshot() const;
  // Replaces the whole state (state transfer or rollback); persists it as the durable snapshot.
  // Returns false and changes nothing if the snapshot does not hash to its state_hash.
  bool install_snapshot(const Snapshot& s, Effects& out);

 private:
  // One client's entry with the digests kept in step with it, so that executing a
  // request finds everything about its client with one lookup.
  struct ClientState {
    ClientEntry entry;
    // The client_header_digest counted in the table digest (zero until first counted),
    // and the window_floor_gap it was computed for: a batch that leaves the gap as it was
    // leaves the header element as it was.
    Digest header;
    std::optional<std::uint64_t> counted_gap;
    // reply_digest of each entry of entry.recent, index for index: an evicted reply is
    // subtracted without hashing it a second time. A ring that grows with the window up to
    // its size (make_room): once full, the newest digest overwrites the evicted one in
    // place, so the one cache line read to subtract it is the line written (a deque read
    // its front and wrote its far end: two lines, both long cold, for every request a
    // replica executes).
    boost::circular_buffer<Digest> replies;
    // entry.recent as a snapshot encodes it, from window_start on (the bytes before it
    // are evicted entries, dropped when they outweigh the live ones): a checkpoint copies
    // each client's window in one piece instead of gathering 64 separate results.
    Bytes window;
    std::size_t window_start = 0;
    bool touched = false;  // executed a request in the batch being applied
  };

  void find_batch_clients(const Batch& batch);
  Bytes apply_request(const Request& r, ClientState& client, bool& duplicate);
  void record_result(ClientState& s, ClientId c, RequestId id, const Bytes& result,
                     const DigestMemo* memo = nullptr);
  std::vector<ExecutedRequest> apply_batch(const Batch& batch);
  void take_durable_snapshot(Effects& out);
  void erase_log_up_to(Seq last, Effects& out);
  void reset_to_initial();
  bool load_snapshot(const Snapshot& s);
  std::map<ClientId, ClientEntry> client_table() const;
  void rebuild_client_digests();
  static void rebuild_window(ClientState& s);
  static void prefetch(const ClientState& s);
  void refresh_client_header(ClientId c, ClientState& s);
  void recompute_state_hash(const DigestMemo* memo = nullptr);

  std::unique_ptr<Application> app_;
  std::uint64_t snapshot_interval_;
  Seq position_;
  std::uint64_t commands_since_snapshot_ = 0;
  ClientMap<ClientState> clients_;
  // The latest durable snapshot. take_durable_snapshot keeps only the bytes it persisted,
  // decoded when last_durable_snapshot() asks: copying the client table into a Snapshot
  // at every durable snapshot cost an allocation per cached reply (200 clients x 64 in
  // bench_pbft_bench, every 8,192 commands at each replica) for a value only tests read.
  mutable std::optional<Snapshot> durable_snapshot_;
  mutable Bytes durable_bytes_;
  mutable bool durable_undecoded_ = false;  // durable_bytes_ holds it, not durable_snapshot_
  Bytes initial_app_state_;                 // the application's state before any command
  Seq log_first_{1};                        // lowest position whose log entry may still be stored
  Digest state_hash_;                       // cached hash of the current state
  // client_table_digest, kept up to date per executed request and touched client so a
  // commit does not re-encode the whole table.
  Digest table_digest_;
  // Each client's floor and last_request, the two fields that decide already_executed()
  // for any id outside [floor, last_request] (a new request nearly always): replicas ask
  // for every request they receive, and 16 bytes per client in one array stay in the
  // cache where each client's ClientState (hundreds of bytes, its own cache lines) did
  // not. The same clients as clients_ (so at the same indexes), updated after each batch
  // for its clients and rebuilt whenever the table is.
  struct ExecutedBounds {
    RequestId floor;
    RequestId last_request;
  };
  ClientMap<ExecutedBounds> bounds_;
  // The batch being applied: each request's client, index for index, and the clients
  // that executed a request (valid until the batch is done: no insertion in between).
  std::vector<ClientState*> batch_clients_;
  std::vector<std::pair<ClientId, ClientState*>> touched_;
};

}  // namespace knhk::smr
