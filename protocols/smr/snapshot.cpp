// Canonical encodings of the durable state: snapshots, log entries and the state hash.
#include <cstring>
#include <span>
#include <string_view>

#include "protocols/common/codec.hpp"
#include "protocols/common/endian.hpp"
#include "protocols/smr/hash_input.hpp"
#include "protocols/smr/state_machine.hpp"

namespace knhk::smr {
namespace {

constexpr std::uint8_t kSnapshotTag = 0x53;  // 'S'
constexpr std::uint8_t kLogEntryTag = 0x4c;  // 'L'

std::map<ClientId, ClientEntry> get_clients(Reader& r) {
  constexpr std::size_t kMinClientBytes = 4 + 8 + 4 + 8 + 4;
  auto n = r.length(kMinClientBytes);
  std::map<ClientId, ClientEntry> out;
  for (std::uint32_t i = 0; i < n; ++i) {
    auto c = get_id<ClientId>(r);
    if (!out.empty() && !(out.rbegin()->first < c)) throw DecodeError("clients not sorted");
    ClientEntry e;
    e.last_request = get_id<RequestId>(r);
    e.last_result = r.bytes(kMaxOperationBytes);
    e.floor = get_id<RequestId>(r);
    auto recent = r.length(8 + 4, static_cast<std::uint32_t>(kReplyCacheWindow));
    for (std::uint32_t j = 0; j < recent; ++j) {
      auto id = get_id<RequestId>(r);
      if (!e.recent.empty() && !(e.recent.back().first < id))
        throw DecodeError("reply cache not sorted");
      if (id < e.floor) throw DecodeError("reply cache entry below floor");
      if (id > e.last_request) throw DecodeError("reply cache entry above the last request");
      e.recent.emplace_back(id, r.bytes(kMaxOperationBytes));
    }
    out.emplace_hint(out.end(), c, std::move(e));
  }
  return out;
}

}  // namespace

// Appended without zero-filling the new bytes first (resize did, out of line).
void append_window_entry(Bytes& out, RequestId id, const Bytes& result) {
  std::uint8_t head[8 + 4];
  store_le<8>(head, id.value);
  store_le<4>(head + 8, result.size());
  out.insert(out.end(), head, head + sizeof head);
  out.insert(out.end(), result.begin(), result.end());
}

Digest reply_digest(ClientId c, RequestId id, const Bytes& result) {
  return reply_digest(c, id, result, nullptr);
}

Digest reply_digest(ClientId c, RequestId id, const Bytes& result, const DigestMemo* memo) {
  HashInput h;
  h.raw("knhk.smr.reply.v1");
  h.u64(c.value);
  h.u64(id.value);
  h.u64(result.size());
  h.raw(result);
  return h.finish(memo);
}

Digest reply_cache_digest(ClientId c, const ClientEntry& e) {
  Digest sum;
  for (const auto& [id, result] : e.recent) sum = digest_add(sum, reply_digest(c, id, result));
  return sum;
}

std::optional<std::uint64_t> window_floor_gap(const ClientEntry& e) {
  if (e.recent.empty()) return std::nullopt;
  const auto& [newest, newest_result] = e.recent.back();
  if (newest != e.last_request || newest_result != e.last_result) return std::nullopt;
  const RequestId oldest = e.recent.front().first;
  if (oldest < e.floor) return std::nullopt;
  return oldest.value - e.floor.value;
}

// With the client's reply elements the header determines the entry: in the relative form
// last_request and last_result are the newest element and floor is the oldest id minus
// the gap. The form byte keeps the two forms apart, and the variable-length field is
// length-prefixed, so the hasher input is unambiguous.
Digest client_header_digest(ClientId c, const ClientEntry& e) {
  HashInput h;
  h.raw("knhk.smr.client.v3");
  h.u64(c.value);
  if (const auto gap = window_floor_gap(e)) {
    h.u8(1);
    h.u64(*gap);
  } else {
    h.u8(0);
    h.u64(e.last_request.value);
    h.u64(e.last_result.size());
    h.raw(e.last_result);
    h.u64(e.floor.value);
  }
  return h.finish();
}

Digest client_digest(ClientId c, const ClientEntry& e) {
  return digest_add(client_header_digest(c, e), reply_cache_digest(c, e));
}

Digest client_table_digest(const std::map<ClientId, ClientEntry>& clients) {
  Digest sum;
  for (const auto& [c, e] : clients) sum = digest_add(sum, client_digest(c, e));
  return sum;
}

Digest compute_state_hash(Seq position, const Digest& app_hash, std::size_t client_count,
                          const Digest& table_digest, const DigestMemo* memo) {
  // Laid out as a Writer would: the tag length-prefixed, integers little-endian.
  static constexpr std::string_view kTag = "knhk.smr.state.v3";
  HashInput h;
  h.u32(static_cast<std::uint32_t>(kTag.size()));
  h.raw(kTag);
  h.u64(position.value);
  h.digest(app_hash);
  h.u64(client_count);
  h.digest(table_digest);
  return h.finish(memo);
}

Digest compute_state_hash(Seq position, const Digest& app_hash,
                          const std::map<ClientId, ClientEntry>& clients) {
  return compute_state_hash(position, app_hash, clients.size(), client_table_digest(clients));
}

bool snapshot_hash_valid(const Snapshot& s) {
  return compute_state_hash(s.position, snapshot_state_hash(s.app_state), s.clients) ==
         s.state_hash;
}

namespace {
// A snapshot is appended piece by piece to a vector reserved to its exact size: every
// PBFT replica encodes one of a few hundred KB at every checkpoint, and a Writer sized
// first with a counting pass zero-filled the whole buffer (resize) before writing it.
// Appending with insert() into reserved capacity copies each piece once and nothing else.
// GCC 12 sees the fixed-size FieldPack pieces inlined into vector::insert's growth path and
// warns about bounds it cannot reach (capacity is reserved); the warning is wrong here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
void append(Bytes& out, std::span<const std::uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}
#pragma GCC diagnostic pop

std::size_t window_size(const SnapshotClient& c) {
  if (c.encoded_window) return c.encoded_window->size();
  std::size_t n = 0;
  for (const auto& [id, result] : c.entry->recent) n += 8 + 4 + result.size();
  return n;
}

// Byte for byte what a Writer gives for: u8 tag, position, bytes(app_state), u32 client
// count, per client (id, last_request, bytes(last_result), floor, u32 window length, the
// window's entries as append_window_entry writes them), the state hash.
std::size_t snapshot_size(const Bytes& app_state, std::span<const SnapshotClient> clients) {
  std::size_t n = 1 + 8 + 4 + app_state.size() + 4 + sizeof(Digest);
  for (const auto& c : clients)
    n += 4 + 8 + 4 + c.entry->last_result.size() + 8 + 4 + window_size(c);
  return n;
}

void append_client(Bytes& out, const SnapshotClient& c) {
  const ClientEntry& e = *c.entry;
  FieldPack<4 + 8 + 4> head;
  head.id(c.id);
  head.id(e.last_request);
  head.u32(static_cast<std::uint32_t>(e.last_result.size()));
  append(out, head.view());
  append(out, e.last_result);
  FieldPack<8 + 4> tail;
  tail.id(e.floor);
  tail.u32(static_cast<std::uint32_t>(e.recent.size()));
  append(out, tail.view());
  if (c.encoded_window) {
    append(out, *c.encoded_window);
  } else {
    for (const auto& [id, result] : e.recent) append_window_entry(out, id, result);
  }
}
}  // namespace

Bytes encode_snapshot(Seq position, const Bytes& app_state, std::span<const SnapshotClient> clients,
                      const Digest& state_hash) {
  Bytes out;
  out.reserve(snapshot_size(app_state, clients));
  FieldPack<1 + 8 + 4> head;
  head.u8(kSnapshotTag);
  head.id(position);
  head.u32(static_cast<std::uint32_t>(app_state.size()));
  append(out, head.view());
  append(out, app_state);
  FieldPack<4> count;
  count.u32(static_cast<std::uint32_t>(clients.size()));
  append(out, count.view());
  for (const auto& c : clients) append_client(out, c);
  append(out, state_hash.bytes);
  return out;
}

Bytes encode_snapshot(Seq position, const Bytes& app_state,
                      const std::map<ClientId, ClientEntry>& clients, const Digest& state_hash) {
  std::vector<SnapshotClient> table;
  table.reserve(clients.size());
  for (const auto& [c, e] : clients) table.push_back(SnapshotClient{c, &e});
  return encode_snapshot(position, app_state, table, state_hash);
}

Bytes encode_snapshot(const Snapshot& s) {
  return encode_snapshot(s.position, s.app_state, s.clients, s.state_hash);
}

std::optional<Snapshot> decode_snapshot(std::span<const std::uint8_t> bytes) {
  try {
    Reader r(bytes);
    if (r.u8() != kSnapshotTag) return std::nullopt;
    Snapshot s;
    s.position = get_id<Seq>(r);
    s.app_state = r.bytes();
    s.clients = get_clients(r);
    s.state_hash = r.digest();
    r.expect_end();
    return s;
  } catch (const DecodeError&) {
    return std::nullopt;
  }
}

namespace {
// What precedes the batch's encoding in a log entry.
FieldPack<1 + 8 + 8> log_entry_head(View view, std::uint64_t slot) {
  FieldPack<1 + 8 + 8> head;
  head.u8(kLogEntryTag);
  head.id(view);
  head.u64(slot);
  return head;
}

// The encoded size of a log entry, as request.cpp lays requests out: only a capacity hint
// (a wrong one costs a reallocation, never a different byte), cheaper than a counting pass.
std::size_t log_entry_size_hint(const Batch& batch) {
  std::size_t n = 1 + 8 + 8 + 4;
  for (const auto& r : batch) {
    n += 1 + 4 + 8 + 4 + r.operation.size() + 1;
    n += r.authenticator.empty() ? sizeof(Signature) : 4 + r.authenticator.size() * sizeof(Mac);
  }
  return n;
}
}  // namespace

// Written into one allocation of its size (every replica logs every batch).
Bytes encode_log_entry(View view, std::uint64_t slot, const Batch& batch) {
  Writer w;
  w.reserve(log_entry_size_hint(batch));
  log_entry_head(view, slot).append_to(w);
  encode(w, batch);
  return w.take();
}

Bytes encode_log_entry(View view, std::uint64_t slot, std::span<const std::uint8_t> encoded_batch) {
  const auto head = log_entry_head(view, slot);
  Bytes entry;
  entry.reserve(head.view().size() + encoded_batch.size());
  entry.assign(head.view().begin(), head.view().end());
  entry.insert(entry.end(), encoded_batch.begin(), encoded_batch.end());
  return entry;
}

Bytes encode_log_entry(const LogEntry& e) {
  return encode_log_entry(e.view, e.slot, e.batch);
}

std::optional<LogEntry> decode_log_entry(std::span<const std::uint8_t> bytes) {
  try {
    Reader r(bytes);
    if (r.u8() != kLogEntryTag) return std::nullopt;
    LogEntry e;
    e.view = get_id<View>(r);
    e.slot = r.u64();
    e.batch = decode_batch(r);
    r.expect_end();
    return e;
  } catch (const DecodeError&) {
    return std::nullopt;
  }
}

std::string log_key(Seq position) {
  return numbered_key(kLogKeyPrefix, position.value);
}

}  // namespace knhk::smr
