#include "protocols/smr/state_machine.hpp"

#include <algorithm>
#include <cstdlib>

#include "protocols/common/sorted_pairs.hpp"

namespace knhk::smr {
namespace {

// Parses the position out of "smr/log/<20 digits>"; nullopt for any other key.
std::optional<Seq> log_position(const std::string& key) {
  const std::string prefix = kLogKeyPrefix;
  if (key.size() != prefix.size() + 20 || key.compare(0, prefix.size(), prefix) != 0)
    return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = prefix.size(); i < key.size(); ++i) {
    if (key[i] < '0' || key[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(key[i] - '0');
  }
  return Seq(v);
}

// A reply-digest ring grows with its window up to the window's size (a client with few
// requests keeps a small one); only then does a new digest overwrite the evicted one.
void make_room(boost::circular_buffer<Digest>& ring) {
  if (ring.full() && ring.capacity() < kReplyCacheWindow)
    ring.set_capacity(std::min(kReplyCacheWindow, std::max<std::size_t>(4, 2 * ring.capacity())));
}

}  // namespace

const std::pair<RequestId, Bytes>* ClientEntry::find(RequestId id) const {
  // Ids mostly arrive in order: the newest entry is the likeliest hit.
  if (recent.empty() || id > recent.back().first) return nullptr;
  auto it = find_by_key(recent, id);
  return it != recent.end() ? &*it : nullptr;
}

std::size_t ClientEntry::insert(RequestId id, Bytes result) {
  if (recent.empty() || id > recent.back().first) {  // the usual case: the newest id
    recent.emplace_back(id, std::move(result));
    return recent.size() - 1;
  }
  auto it = lower_bound_by_key(recent, id);
  const auto at = it - recent.begin();
  recent.emplace(it, id, std::move(result));
  return static_cast<std::size_t>(at);
}

StateMachine::StateMachine(std::unique_ptr<Application> app, std::uint64_t snapshot_interval)
    : app_(std::move(app)),
      snapshot_interval_(snapshot_interval),
      initial_app_state_(app_->snapshot()) {
  recompute_state_hash();
}

// `memo`: see apply_batch. Both hashes are looked up by their whole input (position,
// counts and digest sums included), so a replica in another state computes its own.
void StateMachine::recompute_state_hash(const DigestMemo* memo) {
  state_hash_ =
      compute_state_hash(position_, app_->state_hash(memo), clients_.size(), table_digest_, memo);
}

void StateMachine::rebuild_window(ClientState& s) {
  s.window.clear();
  s.window_start = 0;
  for (const auto& [id, result] : s.entry.recent) append_window_entry(s.window, id, result);
}

void StateMachine::rebuild_client_digests() {
  table_digest_ = Digest{};
  bounds_.clear();
  clients_.for_each([&](ClientId c, ClientState& s) {
    bounds_[c] = ExecutedBounds{s.entry.floor, s.entry.last_request};
    rebuild_window(s);
    s.replies.clear();
    for (const auto& [id, result] : s.entry.recent) {
      make_room(s.replies);
      s.replies.push_back(reply_digest(c, id, result));
      table_digest_ = digest_add(table_digest_, s.replies.back());
    }
    s.header = client_header_digest(c, s.entry);
    s.counted_gap = window_floor_gap(s.entry);
    table_digest_ = digest_add(table_digest_, s.header);
  });
}

// Swaps the client's old header element for its current one in the table digest (a new
// client's old element is zero, so subtracting it is a no-op). While the client's ids
// arrive in order its gap does not change and neither does the element: no hash.
void StateMachine::refresh_client_header(ClientId c, ClientState& s) {
  const auto gap = window_floor_gap(s.entry);
  if (gap && gap == s.counted_gap) return;
  table_digest_ = digest_sub(table_digest_, s.header);
  s.header = client_header_digest(c, s.entry);
  s.counted_gap = gap;
  table_digest_ = digest_add(table_digest_, s.header);
}

Digest StateMachine::state_hash() const {
  return state_hash_;
}

const ClientEntry* StateMachine::client_entry(ClientId c) const {
  const ClientState* s = clients_.find(c);
  return s ? &s->entry : nullptr;
}

// ClientEntry::executed, answered from bounds_ unless id lies in the reply window's range.
bool StateMachine::already_executed(ClientId c, RequestId id) const {
  const ExecutedBounds* b = bounds_.find(c);
  if (!b) return false;
  // The floor first, as executed() does: a snapshot may hold a floor above last_request + 1.
  if (id < b->floor) return true;
  if (id > b->last_request) return false;
  return client_entry(c)->executed(id);
}

// At-most-once: an executed request is not applied again; it gets its cached result
// while that is in the window, an empty result after.
Bytes StateMachine::apply_request(const Request& r, ClientState& client, bool& duplicate) {
  if (client.entry.executed(r.id)) {
    duplicate = true;
    const Bytes* cached = client.entry.result_of(r.id);
    return cached ? *cached : Bytes{};
  }
  duplicate = false;
  Bytes result = app_->apply(r.operation, &r.digests);
  record_result(client, r.client, r.id, result, &r.digests);
  if (!client.touched) {
    client.touched = true;
    touched_.emplace_back(r.client, &client);
  }
  return result;
}

// Adds a newly executed id to the reply window (evicting the oldest entry when it
// overflows, which raises the floor) and its reply element to the table digest.
void StateMachine::record_result(ClientState& s, ClientId c, RequestId id, const Bytes& result,
                                 const DigestMemo* memo) {
  ClientEntry& e = s.entry;
  const Digest reply = reply_digest(c, id, result, memo);
  table_digest_ = digest_add(table_digest_, reply);
  // id > last_request implies id > every id in the window (see ClientEntry::executed),
  // and last_request sits beside the floor that executed() just read: no load from the
  // window's far end to decide.
  if (e.recent.size() == kReplyCacheWindow && id > e.last_request) {
    // The steady state: the newest id enters a full window and the oldest leaves; its
    // buffer takes the new result (no allocation).
    e.floor = std::max(e.floor, e.recent.front().first.next());
    table_digest_ = digest_sub(table_digest_, s.replies.front());
    Bytes buffer = std::move(e.recent.front().second);
    s.window_start += 8 + 4 + buffer.size();
    buffer.assign(result.begin(), result.end());
    e.recent.pop_front();
    e.recent.emplace_back(id, std::move(buffer));
    s.replies.push_back(reply);  // full: takes the evicted digest's place
    append_window_entry(s.window, id, result);
    if (s.window_start > s.window.size() - s.window_start) {
      s.window.erase(s.window.begin(),
                     s.window.begin() + static_cast<std::ptrdiff_t>(s.window_start));
      s.window_start = 0;
    }
  } else {
    const std::size_t at = e.insert(id, result);
    if (e.recent.size() <= kReplyCacheWindow) {
      make_room(s.replies);
      s.replies.insert(s.replies.begin() + static_cast<std::ptrdiff_t>(at), reply);
    } else {
      // The window overflows and its oldest entry leaves: the new one itself when it is
      // the oldest (at 0), else the old front, and the new digest goes one place lower.
      e.floor = std::max(e.floor, e.recent.front().first.next());
      e.recent.pop_front();
      if (at == 0) {
        table_digest_ = digest_sub(table_digest_, reply);
      } else {
        table_digest_ = digest_sub(table_digest_, s.replies.front());
        s.replies.pop_front();
        s.replies.insert(s.replies.begin() + static_cast<std::ptrdiff_t>(at - 1), reply);
      }
    }
    // Filling the window at its newest end appends; anything else (an id older than
    // others, rare) re-encodes the window.
    if (at + 1 == e.recent.size() && e.recent.back().first == id)
      append_window_entry(s.window, id, result);
    else
      rebuild_window(s);
  }
  if (id >= e.last_request) {
    e.last_request = id;
    e.last_result = result;
  }
}

// Executing a request touches its client's reply window at both ends, the reply digests
// beside it and the encoded window, each in its own heap block that other work has since
// evicted from the cache. Asking for all of a batch's clients before executing any lets
// those misses overlap instead of stalling one request at a time. Only a hint to the CPU.
void StateMachine::prefetch(const ClientState& s) {
  if (!s.entry.recent.empty()) {
    __builtin_prefetch(&s.entry.recent.front());
    __builtin_prefetch(&s.entry.recent.back());
  }
  if (!s.replies.empty()) {
    __builtin_prefetch(&s.replies.front());
    __builtin_prefetch(&s.replies.back());
  }
  __builtin_prefetch(s.window.data() + s.window.size());
}

// Each request's client, found once for the whole batch. A client new to the table gets
// its (empty) entry here rather than when its request executes: such a request is never a
// duplicate, so it would get one anyway, and inserting moves the other entries, which must
// happen before any pointer into the table is kept.
void StateMachine::find_batch_clients(const Batch& batch) {
  batch_clients_.clear();
  bool inserted = false;
  for (const auto& r : batch) {
    ClientState* s = clients_.find(r.client);
    if (!s) {
      s = &clients_[r.client];
      bounds_[r.client] = ExecutedBounds{};  // an empty entry's: nothing executed
      inserted = true;
    }
    batch_clients_.push_back(s);
  }
  if (inserted)
    for (std::size_t i = 0; i < batch.size(); ++i)
      batch_clients_[i] = clients_.find(batch[i].client);
  for (const ClientState* s : batch_clients_) prefetch(*s);
}

std::vector<ExecutedRequest> StateMachine::apply_batch(const Batch& batch) {
  position_ = position_.next();
  std::vector<ExecutedRequest> executed;
  executed.reserve(batch.size());
  touched_.clear();
  find_batch_clients(batch);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    ExecutedRequest e{&batch[i], {}, false};
    e.result = apply_request(batch[i], *batch_clients_[i], e.duplicate);
    executed.push_back(std::move(e));
  }
  // The table digest is a sum: the order in which clients are refreshed does not matter.
  for (auto [c, client] : touched_) {
    refresh_client_header(c, *client);
    client->touched = false;
    // bounds_ holds the same clients as clients_, so at the same index.
    const auto at = static_cast<std::size_t>(client - &clients_.value(0));
    bounds_.value(at) = ExecutedBounds{client->entry.floor, client->entry.last_request};
  }
  commands_since_snapshot_ += batch.size();
  // The application's and the state's hash after the batch, once per batch object: every
  // replica of a simulated cluster executes the same object at the same position into the
  // same state, so its last request's memo (Request::digests) gives the six that follow
  // the first the digests of identical inputs (two BLAKE2b per batch per replica before).
  recompute_state_hash(batch.empty() ? nullptr : &batch.back().digests);
  return executed;
}

ExecutionResult StateMachine::execute(std::shared_ptr<const Batch> batch, View view,
                                      std::uint64_t slot, Effects& out) {
  if (!batch) batch = std::make_shared<const Batch>();  // a null request: an empty batch
  const Digest digest = batch_digest(*batch);
  return execute(std::move(batch), digest, view, slot, out);
}

ExecutionResult StateMachine::execute(std::shared_ptr<const Batch> batch, const Digest& digest,
                                      View view, std::uint64_t slot, Effects& out,
                                      std::span<const std::uint8_t> encoded_batch) {
  if (!batch) batch = std::make_shared<const Batch>();  // a null request: an empty batch
  // Write-ahead: the batch is durable before anything that depends on its execution.
  out.persist(log_key(position_.next()), encoded_batch.empty()
                                             ? encode_log_entry(view, slot, *batch)
                                             : encode_log_entry(view, slot, encoded_batch));
  ExecutionResult result;
  result.requests = apply_batch(*batch);
  result.position = position_;
  result.state_hash = state_hash_;
  CommitEffect commit{position_, view, slot, digest, batch, state_hash_, {}};
  for (std::size_t i = 0; i < result.requests.size(); ++i)
    if (result.requests[i].duplicate) commit.skipped.push_back(static_cast<std::uint32_t>(i));
  out.list.emplace_back(std::move(commit));
  if (snapshot_interval_ > 0 && commands_since_snapshot_ >= snapshot_interval_)
    take_durable_snapshot(out);
  return result;
}

std::map<ClientId, ClientEntry> StateMachine::client_table() const {
  std::map<ClientId, ClientEntry> table;
  clients_.for_each(
      [&](ClientId c, const ClientState& s) { table.emplace_hint(table.end(), c, s.entry); });
  return table;
}

Snapshot StateMachine::take_snapshot() const {
  return Snapshot{position_, app_->snapshot(), client_table(), state_hash_};
}

Bytes StateMachine::encoded_snapshot() const {
  std::vector<SnapshotClient> table;
  table.reserve(clients_.size());
  clients_.for_each([&](ClientId c, const ClientState& s) {
    const std::span<const std::uint8_t> window(s.window);
    table.push_back(SnapshotClient{c, &s.entry, window.subspan(s.window_start)});
  });
  return encode_snapshot(position_, app_->snapshot(), table, state_hash_);
}

const std::optional<Snapshot>& StateMachine::last_durable_snapshot() const {
  if (durable_undecoded_) {
    durable_snapshot_ = decode_snapshot(durable_bytes_);
    durable_undecoded_ = false;
  }
  return durable_snapshot_;
}

// The bytes are encoded_snapshot()'s (encode_snapshot(take_snapshot()), from the reply
// windows kept encoded), and a copy of them, in the previous copy's buffer, is all that is
// kept of the snapshot itself.
void StateMachine::take_durable_snapshot(Effects& out) {
  Bytes bytes = encoded_snapshot();
  durable_bytes_.assign(bytes.begin(), bytes.end());
  durable_undecoded_ = true;
  durable_snapshot_.reset();
  out.persist(kSnapshotKey, std::move(bytes));
  // Only after the snapshot is durable may the log entries it covers go.
  erase_log_up_to(position_, out);
  commands_since_snapshot_ = 0;
}

void StateMachine::erase_log_up_to(Seq last, Effects& out) {
  for (auto p = log_first_; p <= last; p = p.next()) out.erase(log_key(p));
  if (log_first_ <= last) log_first_ = last.next();
}

void StateMachine::reset_to_initial() {
  app_->restore(initial_app_state_);
  position_ = Seq(0);
  clients_.clear();
  commands_since_snapshot_ = 0;
  durable_snapshot_.reset();
  durable_undecoded_ = false;
  log_first_ = Seq(1);
  rebuild_client_digests();
  recompute_state_hash();
}

// Verifies the hash before touching anything; reverts the application if it accepted
// bytes that do not re-encode canonically (they would hash differently).
bool StateMachine::load_snapshot(const Snapshot& s) {
  if (!snapshot_hash_valid(s)) return false;
  Bytes previous = app_->snapshot();
  if (!app_->restore(s.app_state)) return false;
  if (app_->snapshot() != s.app_state || app_->state_hash() != snapshot_state_hash(s.app_state)) {
    app_->restore(previous);
    return false;
  }
  position_ = s.position;
  clients_.clear();
  for (const auto& [c, e] : s.clients) clients_[c].entry = e;
  rebuild_client_digests();
  state_hash_ = s.state_hash;
  commands_since_snapshot_ = 0;
  durable_snapshot_ = s;
  durable_undecoded_ = false;
  return true;
}

bool StateMachine::install_snapshot(const Snapshot& s, Effects& out) {
  Seq old_position = position_;
  if (!load_snapshot(s)) return false;
  out.persist(kSnapshotKey, encode_snapshot(s));
  // Logged batches are either covered by the snapshot or belong to an abandoned history.
  erase_log_up_to(old_position, out);
  log_first_ = s.position.next();
  return true;
}

RecoveryReport StateMachine::recover(const DurableStore& store) {
  reset_to_initial();
  RecoveryReport report;
  if (auto it = store.find(kSnapshotKey); it != store.end()) {
    auto s = decode_snapshot(it->second);
    if (s && load_snapshot(*s)) {
      report.snapshot_position = s->position;
    } else {
      report.ok = false;
      report.error = "stored snapshot is malformed or does not match its hash";
    }
  }
  std::optional<Seq> lowest_logged, highest_logged;
  for (auto it = store.lower_bound(kLogKeyPrefix); it != store.end(); ++it) {
    auto p = log_position(it->first);
    if (!p) break;
    if (!lowest_logged) lowest_logged = p;
    highest_logged = p;
  }
  for (auto p = position_.next();; p = p.next()) {
    auto it = store.find(log_key(p));
    if (it == store.end()) break;
    auto entry = decode_log_entry(it->second);
    if (!entry) {
      report.ok = false;
      report.error = "unreadable log entry at position " + std::to_string(p.value);
      break;
    }
    apply_batch(entry->batch);
    ++report.replayed;
  }
  if (report.ok && highest_logged && *highest_logged > position_) {
    report.ok = false;
    report.error = "log has a gap after position " + std::to_string(position_.value);
  }
  log_first_ =
      lowest_logged && *lowest_logged < position_.next() ? *lowest_logged : position_.next();
  return report;
}

}  // namespace knhk::smr
