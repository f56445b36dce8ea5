#include "protocols/hotstuff/safety.hpp"

namespace knhk::hotstuff {

Bytes encode_safety(const SafetyState& s) {
  Writer w;
  w.u8(1);  // format version
  put(w, s.vheight);
  encode(w, s.locked_qc);
  return w.take();
}

std::optional<SafetyState> decode_safety(std::span<const std::uint8_t> bytes) {
  try {
    Reader r(bytes);
    if (r.u8() != 1) return std::nullopt;
    SafetyState s;
    s.vheight = get_id<View>(r);
    s.locked_qc = decode_qc(r);
    r.expect_end();
    return s;
  } catch (const DecodeError&) {
    return std::nullopt;
  }
}

SafeNode safe_node(const BlockTree& tree, const Block& b_new, const QuorumCert& locked_qc,
                   Digest* missing) {
  // Liveness rule: the proposal carries a QC newer than our lock, so a quorum moved on.
  if (b_new.justify.view > locked_qc.view) return SafeNode::safe;
  // Safety rule: b_new's branch contains b_lock.
  AncestryWalk walk = tree.walk_to(b_new.parent, locked_qc.block);
  switch (walk.result) {
    case AncestryWalk::Result::reached:
      return SafeNode::safe;
    case AncestryWalk::Result::diverged:
      return SafeNode::unsafe;
    case AncestryWalk::Result::missing:
      if (missing) *missing = walk.missing;
      return SafeNode::missing_ancestor;
  }
  return SafeNode::unsafe;
}

bool may_vote(View vheight, const Block& b_new, SafeNode verdict) {
  return b_new.view > vheight && verdict == SafeNode::safe;
}

ChainUpdate update_chain(const BlockTree& tree, const Block& b_star, const QuorumCert& locked_qc,
                         View exec_view) {
  ChainUpdate out;
  // b'' = b*.justify.node, b' = b''.justify.node, b = b'.justify.node (Alg. 4 update).
  const BlockEntry* b2 = tree.find(b_star.justify.block);
  if (!b2 || b2->block->view.value == 0) return out;
  const BlockEntry* b1 = tree.find(b2->block->justify.block);
  if (!b1) return out;
  // Two-chain b' <- b'': lock on b' when it is newer than b_lock.
  if (b1->block->view > locked_qc.view) out.new_lock = b2->block->justify;
  const BlockEntry* b0 = tree.find(b1->block->justify.block);
  if (!b0 || b1->block->view.value == 0) return out;
  // Three-chain with direct parents in consecutive views: commit b.
  const bool direct = b2->block->parent == b1->hash && b1->block->parent == b0->hash &&
                      b2->block->view.value == b1->block->view.value + 1 &&
                      b1->block->view.value == b0->block->view.value + 1;
  if (direct && b0->block->view > exec_view) out.commit = b0->hash;
  return out;
}

}  // namespace knhk::hotstuff
