// The block tree of Alg. 4: blocks by hash with parent links. The committed root
// (b_exec) may be a header-only stub after a restart; blocks below it are pruned
// except a bounded window kept to serve block sync.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "protocols/hotstuff/messages.hpp"

namespace knhk::hotstuff {

struct BlockEntry {
  std::shared_ptr<const Block> block;
  Digest hash;
  bool committed = false;
  bool stub = false;  // header only (restart root): cannot be served to peers
  // batch_digest(block->batch), computed once when the block's hash was checked and
  // handed to the state machine at execution (hashing a batch twice cost ~2 % of a node).
  Digest batch_digest;
};

// Outcome of walking parent links from a block down towards an ancestor.
struct AncestryWalk {
  enum class Result { reached, diverged, missing };
  Result result = Result::missing;
  Digest missing;  // the first block hash not in the tree, when result == missing
};

class BlockTree {
 public:
  BlockTree();

  // Inserts a block whose hash and batch digest the caller computed (and verified).
  // Idempotent.
  const BlockEntry& insert(std::shared_ptr<const Block> block, const Digest& hash,
                           const Digest& batch_digest);
  const BlockEntry* find(const Digest& hash) const;
  bool contains(const Digest& hash) const { return blocks_.count(hash) != 0; }

  // Walks parent links from `from` until a block with view <= target's view:
  // reached when that block is `target`, diverged when it is another block.
  AncestryWalk walk_to(const Digest& from, const Digest& target) const;
  bool extends(const Digest& from, const Digest& ancestor) const {
    return walk_to(from, ancestor).result == AncestryWalk::Result::reached;
  }
  // Blocks strictly above `ancestor` up to and including `from`, oldest first.
  // Precondition: extends(from, ancestor).
  std::vector<const BlockEntry*> chain_after(const Digest& ancestor, const Digest& from) const;
  // Up to `max` blocks starting at `hash` and following parent links.
  std::vector<Block> ancestors(const Digest& hash, std::uint32_t max) const;

  // Marks a block committed and prunes blocks that can no longer matter: forks
  // proposed at or below the committed root's view and committed blocks beyond the
  // retention window.
  void mark_committed(const Digest& hash, std::uint64_t retain);

  // After a restart: installs the committed root as a stub (no batch) with its header.
  void install_root(const Block& header, const Digest& hash);

  std::size_t size() const { return blocks_.size(); }
  const Digest& root() const { return root_; }

 private:
  void prune(std::uint64_t retain);

  std::map<Digest, BlockEntry> blocks_;
  // Blocks inserted uncommitted, by view: what prune() looks at for forks, instead of
  // every block in the tree (the retention window keeps ~1,000 committed ones, and a
  // scan per commit was 5-10 % of a real node's CPU). Entries committed since are skipped.
  std::multimap<View, Digest> uncommitted_by_view_;
  std::deque<Digest> committed_order_;
  Digest root_;
};

}  // namespace knhk::hotstuff
