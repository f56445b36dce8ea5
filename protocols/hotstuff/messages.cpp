#include "protocols/hotstuff/messages.hpp"

#include <cstring>

namespace knhk::hotstuff {
namespace {

enum class Type : std::uint8_t {
  proposal = 1,
  vote = 2,
  new_view = 3,
  block_request = 4,
  block_response = 5
};

// Domain tags keep the signed bodies of different message kinds disjoint.
constexpr std::uint8_t kVoteTag = 0x76;
constexpr std::uint8_t kProposalTag = 0x70;
constexpr std::uint8_t kNewViewTag = 0x6e;
constexpr std::uint8_t kBlockRequestTag = 0x71;
constexpr std::uint8_t kBlockResponseTag = 0x72;
constexpr std::uint8_t kBlockTag = 0x62;

constexpr std::size_t kVoteShareBytes = 4 + 64;
// parent + view + height + proposer + qc(view, block, count) + batch count.
constexpr std::size_t kMinBlockBytes = 32 + 8 + 8 + 4 + (8 + 32 + 4) + 4;

void put_sig(Writer& w, const Signature& s) {
  w.raw(s);
}
Signature get_sig(Reader& r) {
  Signature s{};
  auto raw = r.raw(s.size());
  std::memcpy(s.data(), raw.data(), s.size());
  return s;
}

Bytes proposal_body(const Proposal& p) {
  Writer w;
  w.u8(kProposalTag);
  put(w, p.block.view);
  w.digest(p.block_hash);
  put(w, p.sender);
  return w.take();
}

Bytes new_view_body(const NewView& m) {
  Writer w;
  w.u8(kNewViewTag);
  put(w, m.view);
  put(w, m.sender);
  encode(w, m.high_qc);
  return w.take();
}

Bytes block_request_body(const BlockRequest& m) {
  Writer w;
  w.u8(kBlockRequestTag);
  w.digest(m.block);
  w.u32(m.max_blocks);
  put(w, m.sender);
  return w.take();
}

Bytes block_response_body(const BlockResponse& m) {
  Writer w;
  w.u8(kBlockResponseTag);
  w.digest(m.requested);
  put(w, m.sender);
  w.u32(static_cast<std::uint32_t>(m.blocks.size()));
  for (const auto& b : m.blocks) w.digest(block_hash(b));
  return w.take();
}

bool verify_as(NodeId id, const Bytes& body, const Signature& sig, const Verifier& v) {
  return v.verify(Principal::replica(id), body, sig);
}

struct Encoder {
  Writer& w;
  void operator()(const Proposal& p) const {
    w.u8(static_cast<std::uint8_t>(Type::proposal));
    encode(w, p.block);
    w.digest(p.block_hash);
    put(w, p.sender);
    put_sig(w, p.signature);
  }
  void operator()(const Vote& v) const {
    w.u8(static_cast<std::uint8_t>(Type::vote));
    put(w, v.view);
    w.digest(v.block);
    put(w, v.voter);
    put_sig(w, v.signature);
  }
  void operator()(const NewView& m) const {
    w.u8(static_cast<std::uint8_t>(Type::new_view));
    put(w, m.view);
    encode(w, m.high_qc);
    put(w, m.sender);
    put_sig(w, m.signature);
  }
  void operator()(const BlockRequest& m) const {
    w.u8(static_cast<std::uint8_t>(Type::block_request));
    w.digest(m.block);
    w.u32(m.max_blocks);
    put(w, m.sender);
    put_sig(w, m.signature);
  }
  void operator()(const BlockResponse& m) const {
    w.u8(static_cast<std::uint8_t>(Type::block_response));
    w.digest(m.requested);
    w.u32(static_cast<std::uint32_t>(m.blocks.size()));
    for (const auto& b : m.blocks) encode(w, b);
    put(w, m.sender);
    put_sig(w, m.signature);
  }
};

Proposal decode_proposal(Reader& r) {
  Proposal p;
  p.block = decode_block(r);
  p.block_hash = r.digest();
  p.sender = get_id<NodeId>(r);
  p.signature = get_sig(r);
  return p;
}

Vote decode_vote(Reader& r) {
  Vote v;
  v.view = get_id<View>(r);
  v.block = r.digest();
  v.voter = get_id<NodeId>(r);
  v.signature = get_sig(r);
  return v;
}

NewView decode_new_view(Reader& r) {
  NewView m;
  m.view = get_id<View>(r);
  m.high_qc = decode_qc(r);
  m.sender = get_id<NodeId>(r);
  m.signature = get_sig(r);
  return m;
}

BlockRequest decode_block_request(Reader& r) {
  BlockRequest m;
  m.block = r.digest();
  m.max_blocks = r.u32();
  if (m.max_blocks == 0 || m.max_blocks > kMaxSyncBlocks) throw DecodeError("bad max_blocks");
  m.sender = get_id<NodeId>(r);
  m.signature = get_sig(r);
  return m;
}

BlockResponse decode_block_response(Reader& r) {
  BlockResponse m;
  m.requested = r.digest();
  auto n = r.length(kMinBlockBytes, kMaxSyncBlocks);
  m.blocks.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) m.blocks.push_back(decode_block(r));
  m.sender = get_id<NodeId>(r);
  m.signature = get_sig(r);
  return m;
}

struct Namer {
  std::string_view operator()(const Proposal&) const { return "hotstuff.proposal"; }
  std::string_view operator()(const Vote&) const { return "hotstuff.vote"; }
  std::string_view operator()(const NewView&) const { return "hotstuff.new_view"; }
  std::string_view operator()(const BlockRequest&) const { return "hotstuff.block_request"; }
  std::string_view operator()(const BlockResponse&) const { return "hotstuff.block_response"; }
};

Block make_genesis() {
  Block b;
  b.view = View(0);
  b.height = Height(0);
  b.proposer = NodeId(0);
  return b;
}

}  // namespace

void encode(Writer& w, const QuorumCert& qc) {
  put(w, qc.view);
  w.digest(qc.block);
  w.u32(static_cast<std::uint32_t>(qc.votes.size()));
  for (const auto& v : qc.votes) {
    put(w, v.voter);
    put_sig(w, v.signature);
  }
}

QuorumCert decode_qc(Reader& r) {
  QuorumCert qc;
  qc.view = get_id<View>(r);
  qc.block = r.digest();
  auto n = r.length(kVoteShareBytes, kMaxQcVotes);
  qc.votes.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    VoteShare s;
    s.voter = get_id<NodeId>(r);
    s.signature = get_sig(r);
    // Canonical form: strictly increasing voter ids (also rules out duplicates).
    if (!qc.votes.empty() && !(qc.votes.back().voter < s.voter))
      throw DecodeError("QC votes not strictly sorted");
    qc.votes.push_back(s);
  }
  return qc;
}

void encode(Writer& w, const Block& b) {
  w.digest(b.parent);
  put(w, b.view);
  put(w, b.height);
  put(w, b.proposer);
  encode(w, b.justify);
  encode(w, b.batch);
}

Block decode_block(Reader& r) {
  Block b;
  b.parent = r.digest();
  b.view = get_id<View>(r);
  b.height = get_id<Height>(r);
  b.proposer = get_id<NodeId>(r);
  b.justify = decode_qc(r);
  b.batch = decode_batch(r);
  return b;
}

void encode(Writer& w, const Message& m) {
  std::visit(Encoder{w}, m);
}

Message decode_message(Reader& r) {
  switch (static_cast<Type>(r.u8())) {
    case Type::proposal:
      return decode_proposal(r);
    case Type::vote:
      return decode_vote(r);
    case Type::new_view:
      return decode_new_view(r);
    case Type::block_request:
      return decode_block_request(r);
    case Type::block_response:
      return decode_block_response(r);
  }
  throw DecodeError("unknown hotstuff message type");
}

std::string_view type_name(const Message& m) {
  return std::visit(Namer{}, m);
}

Digest block_hash(const Block& b) {
  return block_hash(b, batch_digest(b.batch));
}

Digest block_hash(const Block& b, const Digest& batch) {
  // The batch enters through its digest so hashing cost does not double for big blocks.
  Writer w;
  w.u8(kBlockTag);
  w.digest(b.parent);
  put(w, b.view);
  put(w, b.height);
  put(w, b.proposer);
  encode(w, b.justify);
  w.digest(batch);
  return blake2b(w.bytes());
}

Bytes vote_body(View view, const Digest& block) {
  Writer w;
  w.u8(kVoteTag);
  put(w, view);
  w.digest(block);
  return w.take();
}

void sign(Proposal& p, const Signer& s, bool keep_stated_hash) {
  if (!keep_stated_hash) p.block_hash = block_hash(p.block);
  p.sender = NodeId(s.principal().id);
  p.signature = s.sign(proposal_body(p));
}
void sign(Vote& v, const Signer& s) {
  v.voter = NodeId(s.principal().id);
  v.signature = s.sign(vote_body(v.view, v.block));
}
void sign(NewView& m, const Signer& s) {
  m.sender = NodeId(s.principal().id);
  m.signature = s.sign(new_view_body(m));
}
void sign(BlockRequest& m, const Signer& s) {
  m.sender = NodeId(s.principal().id);
  m.signature = s.sign(block_request_body(m));
}
void sign(BlockResponse& m, const Signer& s) {
  m.sender = NodeId(s.principal().id);
  m.signature = s.sign(block_response_body(m));
}
void sign(Message& m, const Signer& s) {
  std::visit([&](auto& body) { sign(body, s); }, m);
}

bool verify_signature(const Proposal& p, const Verifier& v) {
  return verify_as(p.sender, proposal_body(p), p.signature, v);
}
bool verify_signature(const Vote& m, const Verifier& v) {
  return verify_as(m.voter, vote_body(m.view, m.block), m.signature, v);
}
bool verify_signature(const NewView& m, const Verifier& v) {
  return verify_as(m.sender, new_view_body(m), m.signature, v);
}
bool verify_signature(const BlockRequest& m, const Verifier& v) {
  return verify_as(m.sender, block_request_body(m), m.signature, v);
}
bool verify_signature(const BlockResponse& m, const Verifier& v) {
  return verify_as(m.sender, block_response_body(m), m.signature, v);
}
bool verify_signature(const Message& m, const Verifier& v) {
  return std::visit([&](const auto& body) { return verify_signature(body, v); }, m);
}

NodeId claimed_sender(const Message& m) {
  return std::visit(
      [](const auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, Vote>)
          return x.voter;
        else
          return x.sender;
      },
      m);
}

const Block& genesis_block() {
  static const Block b = make_genesis();
  return b;
}
const Digest& genesis_hash() {
  static const Digest h = block_hash(genesis_block());
  return h;
}
QuorumCert genesis_qc() {
  return QuorumCert{View(0), genesis_hash(), {}};
}

}  // namespace knhk::hotstuff
