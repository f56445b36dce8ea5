// Wire messages of event-driven chained HotStuff (Yin et al., PODC'19, arXiv v6,
// Algorithms 4 and 5): blocks with justify QCs, proposals, votes, new-view messages
// and the block-sync pair. Every message is signed by its sender over its body; the
// functions at the bottom sign and verify each type, so fault injectors can mutate a
// message and re-sign it with their own key.
#pragma once

#include <string_view>
#include <variant>
#include <vector>

#include "protocols/common/codec.hpp"
#include "protocols/common/crypto.hpp"
#include "protocols/common/request.hpp"
#include "protocols/common/types.hpp"

namespace knhk::hotstuff {

// Upper bounds the decoder enforces (untrusted input).
inline constexpr std::uint32_t kMaxQcVotes = 1024;
inline constexpr std::uint32_t kMaxSyncBlocks = 64;

// One replica's signature over the vote body (view, block hash): a "partial
// signature" in the paper's words (Sec. 2, tsign_r).
struct VoteShare {
  NodeId voter;
  Signature signature{};
  bool operator==(const VoteShare&) const = default;
};

// A quorum certificate: n - f distinct votes for (view, block). Votes are kept sorted
// by voter id so the encoding is canonical. The genesis QC has view 0 and no votes.
struct QuorumCert {
  View view;
  Digest block;
  std::vector<VoteShare> votes;
  bool operator==(const QuorumCert&) const = default;
};

// A node of the block tree (the paper's "node"): parent link, the QC that justifies
// it, and the batch of client requests it carries. `height` is the tree height
// (parent.height + 1); `view` is the view in which it was proposed.
struct Block {
  Digest parent;
  View view;
  Height height;
  NodeId proposer;
  QuorumCert justify;
  Batch batch;
  bool operator==(const Block&) const = default;
};

// The leader's proposal of a new leaf (Alg. 4 onPropose: broadcastMsg(b_new)).
// The signature covers (view, block_hash); receivers recompute the hash.
struct Proposal {
  Block block;
  Digest block_hash;
  NodeId sender;
  Signature signature{};
  bool operator==(const Proposal&) const = default;
};

// A vote for a block, sent to the next view's leader only (linear communication).
// `signature` is the partial signature that goes into a QC.
struct Vote {
  View view;
  Digest block;
  NodeId voter;
  Signature signature{};
  bool operator==(const Vote&) const = default;
};

// Pacemaker NEW-VIEW (Alg. 5 onNextSyncView): the sender entered `view` and hands
// the view's leader its highest QC.
struct NewView {
  View view;
  QuorumCert high_qc;
  NodeId sender;
  Signature signature{};
  bool operator==(const NewView&) const = default;
};

// Block sync: ask for the block `block` and up to max_blocks - 1 of its ancestors.
struct BlockRequest {
  Digest block;
  std::uint32_t max_blocks = 1;
  NodeId sender;
  Signature signature{};
  bool operator==(const BlockRequest&) const = default;
};

// Answer: the requested block first, then its parent, grandparent, ... The signature
// covers the list of block hashes; the receiver checks the hash chain itself.
struct BlockResponse {
  Digest requested;
  std::vector<Block> blocks;
  NodeId sender;
  Signature signature{};
  bool operator==(const BlockResponse&) const = default;
};

using Message = std::variant<Proposal, Vote, NewView, BlockRequest, BlockResponse>;

// ---- codec (canonical, bounded) ----
void encode(Writer& w, const QuorumCert& qc);
QuorumCert decode_qc(Reader& r);
void encode(Writer& w, const Block& b);
Block decode_block(Reader& r);
void encode(Writer& w, const Message& m);
Message decode_message(Reader& r);
std::string_view type_name(const Message& m);

// ---- hashes and signing bodies ----
// BLAKE2b over the canonical encoding of the block (batch included via its digest).
Digest block_hash(const Block& b);
// The same, for a caller that already holds batch_digest(b.batch).
Digest block_hash(const Block& b, const Digest& batch_digest);
// The bytes a vote (and so each QC entry) signs: (view, block hash), domain-tagged.
Bytes vote_body(View view, const Digest& block);

// ---- signing (sets the sender/voter field to the signer's replica id) ----
// sign(Proposal&) recomputes block_hash first unless keep_stated_hash is true (a
// fault injector that wants a hash mismatch with a valid signature passes true).
void sign(Proposal& p, const Signer& s, bool keep_stated_hash = false);
void sign(Vote& v, const Signer& s);
void sign(NewView& m, const Signer& s);
void sign(BlockRequest& m, const Signer& s);
void sign(BlockResponse& m, const Signer& s);
void sign(Message& m, const Signer& s);

// ---- verification of the sender's signature only (not of QCs or hashes) ----
bool verify_signature(const Proposal& p, const Verifier& v);
bool verify_signature(const Vote& m, const Verifier& v);
bool verify_signature(const NewView& m, const Verifier& v);
bool verify_signature(const BlockRequest& m, const Verifier& v);
bool verify_signature(const BlockResponse& m, const Verifier& v);
bool verify_signature(const Message& m, const Verifier& v);
// The replica that claims to have sent the message (sender or voter field).
NodeId claimed_sender(const Message& m);

// Genesis block and its QC, identical on every replica (Alg. 4: b0, qc0).
const Block& genesis_block();
const Digest& genesis_hash();
QuorumCert genesis_qc();

}  // namespace knhk::hotstuff
