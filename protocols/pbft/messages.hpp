// PBFT wire messages (Castro & Liskov, OSDI'99 §4; TOCS'02 §4.4-4.5 and §6.2), one small
// struct per message type. Every message names its sender (`replica`) and carries that
// replica's signature over `signed_body(...)` (its encode_body, except that a PRE-PREPARE's
// signature covers its digest, not its batch: ⟨PRE-PREPARE, v, n, d⟩σp with the batch
// piggybacked, §4.2; every receiver checks d against the batch), so a message stays
// verifiable when it is embedded in a certificate (a prepared certificate inside a
// VIEW-CHANGE, a VIEW-CHANGE inside a NEW-VIEW, a checkpoint certificate inside a
// state-transfer response).
#pragma once

#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "protocols/common/codec.hpp"
#include "protocols/common/crypto.hpp"
#include "protocols/common/digest.hpp"
#include "protocols/common/memo.hpp"
#include "protocols/common/request.hpp"
#include "protocols/common/types.hpp"

namespace knhk::pbft {

// encode(w, pp)'s bytes, and where the batch's own encoding lies inside them.
struct EncodedPrePrepare {
  Bytes bytes;
  std::size_t batch_begin = 0;
  std::size_t batch_end = 0;
  std::span<const std::uint8_t> batch() const {
    return std::span<const std::uint8_t>(bytes).subspan(batch_begin, batch_end - batch_begin);
  }
};
// <PRE-PREPARE, v, n, d>σp with the batch m piggybacked (§4.2). An empty batch is the
// null request the new primary uses to fill gaps in the O-set (§4.4).
struct PrePrepare {
  View view;
  Seq seq;
  Digest digest;  // batch_digest(batch)
  Batch batch;
  NodeId replica;  // the primary of `view`
  Signature signature{};
  // What every replica derives from the batch: its encoding (the durable slot record, the
  // state machine's log entry) and its digest, once per message object (memo.hpp).
  Memo<EncodedPrePrepare> encoded_memo{};
  Memo<Digest> digest_memo{};
  bool operator==(const PrePrepare&) const = default;
};

// For a pre-prepare that no longer changes (inside a shared message), computed on first
// use: its encoding, and batch_digest(pp.batch) taken over the batch's part of it.
const EncodedPrePrepare& encoded(const PrePrepare& pp);
const Digest& checked_batch_digest(const PrePrepare& pp);

// <PREPARE, v, n, d, i>σi
struct Prepare {
  View view;
  Seq seq;
  Digest digest;
  NodeId replica;
  Signature signature{};
  bool operator==(const Prepare&) const = default;
};

// <COMMIT, v, n, d, i>σi
struct Commit {
  View view;
  Seq seq;
  Digest digest;
  NodeId replica;
  Signature signature{};
  bool operator==(const Commit&) const = default;
};

// <CHECKPOINT, n, d, i>σi: d is the replicated state hash after executing n (§4.3).
struct Checkpoint {
  Seq seq;
  Digest state_hash;
  NodeId replica;
  Signature signature{};
  bool operator==(const Checkpoint&) const = default;
};

// A pre-prepare plus 2f matching prepares from distinct backups: the proof that a request
// prepared at (view, seq) (the Pm of §4.4).
struct PreparedCertificate {
  PrePrepare pre_prepare;
  std::vector<Prepare> prepares;
  bool operator==(const PreparedCertificate&) const = default;
};

// <VIEW-CHANGE, v+1, n, C, P, i>σi (§4.4): n is the sender's stable checkpoint, C its
// quorum certificate (empty for the genesis checkpoint n = 0), P the prepared certificates
// for sequence numbers above n.
struct ViewChange {
  View new_view;
  Seq stable_seq;
  Digest stable_state_hash;
  std::vector<Checkpoint> stable_certificate;
  std::vector<PreparedCertificate> prepared;
  NodeId replica;
  Signature signature{};
  bool operator==(const ViewChange&) const = default;
};

// <NEW-VIEW, v+1, V, O>σp (§4.4): V the quorum of view-change messages, O the
// pre-prepares for view v+1 (each itself signed by the new primary), null requests included.
struct NewView {
  View view;
  std::vector<ViewChange> view_changes;
  std::vector<PrePrepare> pre_prepares;
  NodeId replica;
  Signature signature{};
  bool operator==(const NewView&) const = default;
};

// State transfer (TOCS'02 §6.2, simplified to whole snapshots): "I have executed up to
// `last_executed`; send me what I am missing".
struct StateRequest {
  View view;  // the requester's view: the responder adds its NEW-VIEW when it is ahead
  Seq last_executed;
  NodeId replica;
  Signature signature{};
  bool operator==(const StateRequest&) const = default;
};

// A batch committed at `pre_prepare.seq`, with a quorum of matching commits as its proof.
struct CommittedEntry {
  PrePrepare pre_prepare;
  std::vector<Commit> commits;
  bool operator==(const CommittedEntry&) const = default;
};

// The stable checkpoint as a snapshot (smr::encode_snapshot bytes) with its certificate.
struct CheckpointTransfer {
  Seq seq;
  Digest state_hash;
  std::vector<Checkpoint> certificate;
  Bytes snapshot;
  bool operator==(const CheckpointTransfer&) const = default;
};

// The answer to a StateRequest: a checkpoint snapshot if the requester is behind the
// responder's stable checkpoint, the committed batches after it, and the NEW-VIEW that
// started the responder's current view (so a replica that slept through a view change can
// join it without a view change of its own).
struct StateResponse {
  std::optional<CheckpointTransfer> checkpoint;
  std::vector<CommittedEntry> entries;
  std::optional<NewView> new_view;
  NodeId replica;
  Signature signature{};
  bool operator==(const StateResponse&) const = default;
};

using Message = std::variant<PrePrepare, Prepare, Commit, Checkpoint, ViewChange, NewView,
                             StateRequest, StateResponse>;

// ---- codec: canonical, bounded (decoders throw DecodeError; knhk::decode_message catches) --
void encode_body(Writer& w, const PrePrepare& m);
void encode_body(Writer& w, const Prepare& m);
void encode_body(Writer& w, const Commit& m);
void encode_body(Writer& w, const Checkpoint& m);
void encode_body(Writer& w, const ViewChange& m);
void encode_body(Writer& w, const NewView& m);
void encode_body(Writer& w, const StateRequest& m);
void encode_body(Writer& w, const StateResponse& m);

void encode(Writer& w, const Message& m);
Message decode_message(Reader& r);
std::string_view type_name(const Message& m);

// ---- signatures: sign() overwrites `signature` with the signer's signature over the body;
// verify() checks it against Principal::replica(m.replica). The Byzantine wrappers in
// faults/ mutate a message and re-sign it with their own key through these. ----------------
// What a signature covers: the body, but for a PRE-PREPARE (v, n, d, primary) without the
// batch, which each replica would otherwise encode again just to check the signature.
template <class T>
void signed_body(Writer& w, const T& m) {
  encode_body(w, m);
}
void signed_body(Writer& w, const PrePrepare& m);
// Every message sent is signed and every one received is checked, so the body is encoded
// on the stack (no allocation unless it outgrows the buffer, as a VIEW-CHANGE's P-set may).
template <class T>
void sign(T& m, const Signer& signer) {
  StackWriter<256> w;
  signed_body(w, m);
  m.signature = signer.sign(w.view());
}
template <class T>
bool verify(const T& m, const Verifier& verifier) {
  StackWriter<256> w;
  signed_body(w, m);
  return verifier.verify(Principal::replica(m.replica), w.view(), m.signature);
}
// Records for durable storage and embedding (same layout as inside messages).
void encode(Writer& w, const PrePrepare& m);
PrePrepare decode_pre_prepare(Reader& r);
void encode(Writer& w, const PreparedCertificate& c);
// The same bytes as encode(PreparedCertificate{pp, prepares}), without building one.
void encode_prepared(Writer& w, const PrePrepare& pp, const std::vector<Prepare>& prepares);
PreparedCertificate decode_prepared_certificate(Reader& r);
// The prepares of a certificate alone (a durable slot stores them beside its pre-prepare).
void encode(Writer& w, const std::vector<Prepare>& prepares);
// encode(w, prepares)'s size: a count, then each PREPARE (tag, view, seq, digest, replica,
// signature), so a record can be reserved at once instead of grown by doubling.
inline constexpr std::size_t kEncodedPrepareBytes = 1 + 8 + 8 + 32 + 4 + 64;
inline std::size_t encoded_size(const std::vector<Prepare>& prepares) {
  return 4 + prepares.size() * kEncodedPrepareBytes;
}
std::vector<Prepare> decode_prepares(Reader& r);
void encode(Writer& w, const CheckpointTransfer& c);
// The same bytes as encode(CheckpointTransfer{...}), without copying the snapshot into one.
void encode_checkpoint_transfer(Writer& w, Seq seq, const Digest& state_hash,
                                const std::vector<Checkpoint>& certificate,
                                std::span<const std::uint8_t> snapshot);
CheckpointTransfer decode_checkpoint_transfer(Reader& r);
// The bytes of encode_checkpoint_transfer, as one record for durable storage.
Bytes checkpoint_transfer_record(Seq seq, const Digest& state_hash,
                                 const std::vector<Checkpoint>& certificate,
                                 std::span<const std::uint8_t> snapshot);
void encode(Writer& w, const NewView& m);
NewView decode_new_view(Reader& r);

// Signs / verifies whichever message the variant holds.
void sign(Message& m, const Signer& signer);
bool verify(const Message& m, const Verifier& verifier);
// The sender a message claims (its `replica` field).
NodeId sender(const Message& m);

}  // namespace knhk::pbft
