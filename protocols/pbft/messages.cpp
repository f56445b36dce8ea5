// Canonical codec of the PBFT messages. Each body starts with a one-byte domain tag, so
// a signature over one message type can never be replayed as another.
#include "protocols/pbft/messages.hpp"

#include <cstring>

namespace knhk::pbft {
namespace {

enum Tag : std::uint8_t {
  kPrePrepare = 0x31,
  kPrepare = 0x32,
  kCommit = 0x33,
  kCheckpoint = 0x34,
  kViewChange = 0x35,
  kNewView = 0x36,
  kStateRequest = 0x37,
  kStateResponse = 0x38,
};

// Bounds on decoded sequences: certificates hold at most one message per replica, and the
// log window bounds prepared certificates and committed entries.
constexpr std::uint32_t kMaxReplicas = 1024;
constexpr std::uint32_t kMaxLogEntries = 1u << 16;
// Lower bounds on encoded sizes, so a forged length cannot force a large allocation.
constexpr std::size_t kSignatureBytes = 64;
constexpr std::size_t kMinPrepareBytes = 1 + 8 + 8 + 32 + 4 + kSignatureBytes;
static_assert(kMinPrepareBytes == kEncodedPrepareBytes, "a PREPARE has one encoded size");
constexpr std::size_t kMinCheckpointBytes = 1 + 8 + 32 + 4 + kSignatureBytes;
constexpr std::size_t kMinPrePrepareBytes = 1 + 8 + 8 + 32 + 4 + 4 + kSignatureBytes;
constexpr std::size_t kMinViewChangeBytes = 1 + 8 + 8 + 32 + 4 + 4 + 4 + kSignatureBytes;

void put_signature(Writer& w, const Signature& s) {
  w.raw(s);
}
Signature get_signature(Reader& r) {
  Signature s{};
  auto raw = r.raw(s.size());
  std::memcpy(s.data(), raw.data(), s.size());
  return s;
}
void expect_tag(Reader& r, std::uint8_t tag) {
  if (r.u8() != tag) throw DecodeError("unexpected pbft message tag");
}

template <class T>
void encode_signed(Writer& w, const T& m) {
  encode_body(w, m);
  put_signature(w, m.signature);
}
template <class T>
void encode_list(Writer& w, const std::vector<T>& items) {
  w.u32(static_cast<std::uint32_t>(items.size()));
  for (const auto& x : items) encode_signed(w, x);
}

// Prepare and Commit share one layout under different tags.
template <class T>
void encode_vote_body(Writer& w, std::uint8_t tag, const T& m) {
  FieldPack<1 + 8 + 8 + 32 + 4> body;
  body.u8(tag);
  body.id(m.view);
  body.id(m.seq);
  body.digest(m.digest);
  body.id(m.replica);
  body.append_to(w);
}
template <class T>
T decode_vote(Reader& r, std::uint8_t tag) {
  expect_tag(r, tag);
  T m;
  m.view = get_id<View>(r);
  m.seq = get_id<Seq>(r);
  m.digest = r.digest();
  m.replica = get_id<NodeId>(r);
  m.signature = get_signature(r);
  return m;
}

PrePrepare decode_pre_prepare_impl(Reader& r) {
  expect_tag(r, kPrePrepare);
  PrePrepare m;
  m.view = get_id<View>(r);
  m.seq = get_id<Seq>(r);
  m.digest = r.digest();
  m.batch = decode_batch(r);
  m.replica = get_id<NodeId>(r);
  m.signature = get_signature(r);
  return m;
}
Prepare decode_prepare(Reader& r) {
  return decode_vote<Prepare>(r, kPrepare);
}
Commit decode_commit(Reader& r) {
  return decode_vote<Commit>(r, kCommit);
}

Checkpoint decode_checkpoint(Reader& r) {
  expect_tag(r, kCheckpoint);
  Checkpoint m;
  m.seq = get_id<Seq>(r);
  m.state_hash = r.digest();
  m.replica = get_id<NodeId>(r);
  m.signature = get_signature(r);
  return m;
}

template <class T, class F>
std::vector<T> decode_list(Reader& r, std::size_t min_bytes, std::uint32_t max_len, F decode_one) {
  auto n = r.length(min_bytes, max_len);
  std::vector<T> out;
  out.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) out.push_back(decode_one(r));
  return out;
}

void encode_prepared_impl(Writer& w, const PrePrepare& pp, const std::vector<Prepare>& prepares) {
  encode_signed(w, pp);
  encode_list(w, prepares);
}
void encode_prepared(Writer& w, const PreparedCertificate& c) {
  encode_prepared_impl(w, c.pre_prepare, c.prepares);
}
PreparedCertificate decode_prepared_impl(Reader& r) {
  PreparedCertificate c;
  c.pre_prepare = decode_pre_prepare_impl(r);
  c.prepares = decode_list<Prepare>(r, kMinPrepareBytes, kMaxReplicas, decode_prepare);
  return c;
}

ViewChange decode_view_change(Reader& r) {
  expect_tag(r, kViewChange);
  ViewChange m;
  m.new_view = get_id<View>(r);
  m.stable_seq = get_id<Seq>(r);
  m.stable_state_hash = r.digest();
  m.stable_certificate =
      decode_list<Checkpoint>(r, kMinCheckpointBytes, kMaxReplicas, decode_checkpoint);
  m.prepared = decode_list<PreparedCertificate>(r, kMinPrePrepareBytes + 4, kMaxLogEntries,
                                                decode_prepared_impl);
  m.replica = get_id<NodeId>(r);
  m.signature = get_signature(r);
  return m;
}

NewView decode_new_view_impl(Reader& r) {
  expect_tag(r, kNewView);
  NewView m;
  m.view = get_id<View>(r);
  m.view_changes =
      decode_list<ViewChange>(r, kMinViewChangeBytes, kMaxReplicas, decode_view_change);
  m.pre_prepares =
      decode_list<PrePrepare>(r, kMinPrePrepareBytes, kMaxLogEntries, decode_pre_prepare_impl);
  m.replica = get_id<NodeId>(r);
  m.signature = get_signature(r);
  return m;
}

StateRequest decode_state_request(Reader& r) {
  expect_tag(r, kStateRequest);
  StateRequest m;
  m.view = get_id<View>(r);
  m.last_executed = get_id<Seq>(r);
  m.replica = get_id<NodeId>(r);
  m.signature = get_signature(r);
  return m;
}

void encode_checkpoint_transfer(Writer& w, const CheckpointTransfer& c) {
  encode_checkpoint_transfer(w, c.seq, c.state_hash, c.certificate, c.snapshot);
}
CheckpointTransfer decode_checkpoint_transfer_impl(Reader& r) {
  CheckpointTransfer c;
  c.seq = get_id<Seq>(r);
  c.state_hash = r.digest();
  c.certificate = decode_list<Checkpoint>(r, kMinCheckpointBytes, kMaxReplicas, decode_checkpoint);
  c.snapshot = r.bytes();
  return c;
}

CommittedEntry decode_committed_entry(Reader& r) {
  CommittedEntry e;
  e.pre_prepare = decode_pre_prepare_impl(r);
  e.commits = decode_list<Commit>(r, kMinPrepareBytes, kMaxReplicas, decode_commit);
  return e;
}

StateResponse decode_state_response(Reader& r) {
  expect_tag(r, kStateResponse);
  StateResponse m;
  if (r.boolean()) m.checkpoint = decode_checkpoint_transfer_impl(r);
  m.entries = decode_list<CommittedEntry>(r, kMinPrePrepareBytes + 4, kMaxLogEntries,
                                          decode_committed_entry);
  if (r.boolean()) m.new_view = decode_new_view_impl(r);
  m.replica = get_id<NodeId>(r);
  m.signature = get_signature(r);
  return m;
}

struct TypeName {
  std::string_view operator()(const PrePrepare&) const { return "pbft.pre_prepare"; }
  std::string_view operator()(const Prepare&) const { return "pbft.prepare"; }
  std::string_view operator()(const Commit&) const { return "pbft.commit"; }
  std::string_view operator()(const Checkpoint&) const { return "pbft.checkpoint"; }
  std::string_view operator()(const ViewChange&) const { return "pbft.view_change"; }
  std::string_view operator()(const NewView&) const { return "pbft.new_view"; }
  std::string_view operator()(const StateRequest&) const { return "pbft.state_request"; }
  std::string_view operator()(const StateResponse&) const { return "pbft.state_response"; }
};

}  // namespace

namespace {
// (tag, v, n, d): what both the wire body and the signed body of a PRE-PREPARE start with.
void put_pre_prepare_head(Writer& w, const PrePrepare& m) {
  w.u8(kPrePrepare);
  put(w, m.view);
  put(w, m.seq);
  w.digest(m.digest);
}
}  // namespace

void encode_body(Writer& w, const PrePrepare& m) {
  put_pre_prepare_head(w, m);
  knhk::encode(w, m.batch);
  put(w, m.replica);
}
void signed_body(Writer& w, const PrePrepare& m) {
  put_pre_prepare_head(w, m);
  put(w, m.replica);
}
void encode_body(Writer& w, const Prepare& m) {
  encode_vote_body(w, kPrepare, m);
}
void encode_body(Writer& w, const Commit& m) {
  encode_vote_body(w, kCommit, m);
}

void encode_body(Writer& w, const Checkpoint& m) {
  w.u8(kCheckpoint);
  put(w, m.seq);
  w.digest(m.state_hash);
  put(w, m.replica);
}

void encode_body(Writer& w, const ViewChange& m) {
  w.u8(kViewChange);
  put(w, m.new_view);
  put(w, m.stable_seq);
  w.digest(m.stable_state_hash);
  encode_list(w, m.stable_certificate);
  w.u32(static_cast<std::uint32_t>(m.prepared.size()));
  for (const auto& c : m.prepared) encode_prepared(w, c);
  put(w, m.replica);
}

void encode_body(Writer& w, const NewView& m) {
  w.u8(kNewView);
  put(w, m.view);
  encode_list(w, m.view_changes);
  encode_list(w, m.pre_prepares);
  put(w, m.replica);
}

void encode_body(Writer& w, const StateRequest& m) {
  w.u8(kStateRequest);
  put(w, m.view);
  put(w, m.last_executed);
  put(w, m.replica);
}

void encode_body(Writer& w, const StateResponse& m) {
  w.u8(kStateResponse);
  w.boolean(m.checkpoint.has_value());
  if (m.checkpoint) encode_checkpoint_transfer(w, *m.checkpoint);
  w.u32(static_cast<std::uint32_t>(m.entries.size()));
  for (const auto& e : m.entries) {
    encode_signed(w, e.pre_prepare);
    encode_list(w, e.commits);
  }
  w.boolean(m.new_view.has_value());
  if (m.new_view) encode_signed(w, *m.new_view);
  put(w, m.replica);
}

void encode(Writer& w, const Message& m) {
  std::visit([&w](const auto& x) { encode_signed(w, x); }, m);
}

Message decode_message(Reader& r) {
  // Peek at the tag without consuming it: each decoder checks its own tag.
  Reader peek = r;
  switch (peek.u8()) {
    case kPrePrepare:
      return decode_pre_prepare_impl(r);
    case kPrepare:
      return decode_prepare(r);
    case kCommit:
      return decode_commit(r);
    case kCheckpoint:
      return decode_checkpoint(r);
    case kViewChange:
      return decode_view_change(r);
    case kNewView:
      return decode_new_view(r);
    case kStateRequest:
      return decode_state_request(r);
    case kStateResponse:
      return decode_state_response(r);
  }
  throw DecodeError("unknown pbft message tag");
}

void encode(Writer& w, const PrePrepare& m) {
  encode_signed(w, m);
}

// The bytes of encode(w, pp), laid out as encode_body + signature with the batch's own
// encoding recorded where it falls.
const EncodedPrePrepare& encoded(const PrePrepare& pp) {
  return pp.encoded_memo.get([&pp] {
    Writer w;
    put_pre_prepare_head(w, pp);
    EncodedPrePrepare e;
    e.batch_begin = w.size();
    knhk::encode(w, pp.batch);
    e.batch_end = w.size();
    put(w, pp.replica);
    put_signature(w, pp.signature);
    e.bytes = w.take();
    return e;
  });
}

const Digest& checked_batch_digest(const PrePrepare& pp) {
  return pp.digest_memo.get([&pp] { return blake2b(encoded(pp).batch()); });
}
PrePrepare decode_pre_prepare(Reader& r) {
  return decode_pre_prepare_impl(r);
}
void encode(Writer& w, const PreparedCertificate& c) {
  encode_prepared(w, c);
}
void encode_prepared(Writer& w, const PrePrepare& pp, const std::vector<Prepare>& prepares) {
  encode_prepared_impl(w, pp, prepares);
}
PreparedCertificate decode_prepared_certificate(Reader& r) {
  return decode_prepared_impl(r);
}
void encode(Writer& w, const std::vector<Prepare>& prepares) {
  encode_list(w, prepares);
}
std::vector<Prepare> decode_prepares(Reader& r) {
  return decode_list<Prepare>(r, kMinPrepareBytes, kMaxReplicas, decode_prepare);
}
void encode(Writer& w, const CheckpointTransfer& c) {
  encode_checkpoint_transfer(w, c);
}
void encode_checkpoint_transfer(Writer& w, Seq seq, const Digest& state_hash,
                                const std::vector<Checkpoint>& certificate,
                                std::span<const std::uint8_t> snapshot) {
  put(w, seq);
  w.digest(state_hash);
  encode_list(w, certificate);
  w.bytes(snapshot);
}
CheckpointTransfer decode_checkpoint_transfer(Reader& r) {
  return decode_checkpoint_transfer_impl(r);
}
// The snapshot (the whole state, a hundred kilobytes and more) is copied once into a vector
// reserved for it: a Writer grown to that size would zero-fill it first.
Bytes checkpoint_transfer_record(Seq seq, const Digest& state_hash,
                                 const std::vector<Checkpoint>& certificate,
                                 std::span<const std::uint8_t> snapshot) {
  StackWriter<2048> head;
  put(head, seq);
  head.digest(state_hash);
  encode_list(head, certificate);
  head.u32(static_cast<std::uint32_t>(snapshot.size()));
  Bytes record;
  record.reserve(head.size() + snapshot.size());
  record.insert(record.end(), head.view().begin(), head.view().end());
  record.insert(record.end(), snapshot.begin(), snapshot.end());
  return record;
}
void encode(Writer& w, const NewView& m) {
  encode_signed(w, m);
}
NewView decode_new_view(Reader& r) {
  return decode_new_view_impl(r);
}

std::string_view type_name(const Message& m) {
  return std::visit(TypeName{}, m);
}

void sign(Message& m, const Signer& signer) {
  std::visit([&signer](auto& x) { sign(x, signer); }, m);
}
bool verify(const Message& m, const Verifier& verifier) {
  return std::visit([&verifier](const auto& x) { return verify(x, verifier); }, m);
}
NodeId sender(const Message& m) {
  return std::visit([](const auto& x) { return x.replica; }, m);
}

}  // namespace knhk::pbft
