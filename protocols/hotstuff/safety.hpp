// The safety core of event-driven HotStuff (Alg. 4): the voting rule with vheight,
// safeNode, and update() with its lock and three-chain commit rule. Views play the
// role of the paper's heights ("height = view" as in Sec. 5 with dummy nodes), so
// a direct parent is a parent from the immediately preceding view.
#pragma once

#include <optional>

#include "protocols/hotstuff/block_tree.hpp"
#include "protocols/hotstuff/messages.hpp"

namespace knhk::hotstuff {

// What a replica must remember across crashes before it votes (Alg. 4 state).
struct SafetyState {
  View vheight;          // view of the last block this replica voted for
  QuorumCert locked_qc;  // certifies b_lock; locked_qc.view is b_lock's view

  bool operator==(const SafetyState&) const = default;
};
Bytes encode_safety(const SafetyState& s);
std::optional<SafetyState> decode_safety(std::span<const std::uint8_t> bytes);

enum class SafeNode { safe, unsafe, missing_ancestor };

// Alg. 4 safeNode(b_new, qc): b_new extends b_lock (safety rule) or its justify is
// newer than the lock (liveness rule). `missing` receives the block to fetch.
SafeNode safe_node(const BlockTree& tree, const Block& b_new, const QuorumCert& locked_qc,
                   Digest* missing);

// Alg. 4 onReceiveProposal's vote condition: b_new.height > vheight ∧ safeNode.
bool may_vote(View vheight, const Block& b_new, SafeNode verdict);

// Result of Alg. 4 update(b*): a newer lock and/or a block to commit (with all of
// its uncommitted ancestors, oldest first).
struct ChainUpdate {
  std::optional<QuorumCert> new_lock;  // b''.justify, i.e. the QC for b'
  std::optional<Digest> commit;        // b, when b <- b' <- b'' are direct parents
};
ChainUpdate update_chain(const BlockTree& tree, const Block& b_star, const QuorumCert& locked_qc,
                         View exec_view);

}  // namespace knhk::hotstuff
