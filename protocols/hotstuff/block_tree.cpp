#include "protocols/hotstuff/block_tree.hpp"

#include <algorithm>
#include <stdexcept>

namespace knhk::hotstuff {

BlockTree::BlockTree() {
  auto g = std::make_shared<const Block>(genesis_block());
  blocks_[genesis_hash()] = BlockEntry{g, genesis_hash(), true, false, batch_digest(g->batch)};
  committed_order_.push_back(genesis_hash());
  root_ = genesis_hash();
}

const BlockEntry& BlockTree::insert(std::shared_ptr<const Block> block, const Digest& hash,
                                    const Digest& batch_digest) {
  const View view = block->view;
  auto [it, inserted] =
      blocks_.try_emplace(hash, BlockEntry{std::move(block), hash, false, false, batch_digest});
  if (inserted) uncommitted_by_view_.emplace(view, hash);
  return it->second;
}

const BlockEntry* BlockTree::find(const Digest& hash) const {
  auto it = blocks_.find(hash);
  return it == blocks_.end() ? nullptr : &it->second;
}

AncestryWalk BlockTree::walk_to(const Digest& from, const Digest& target) const {
  const BlockEntry* t = find(target);
  AncestryWalk out;
  if (!t) {
    out.missing = target;
    return out;
  }
  Digest cur = from;
  // Views strictly increase along parent links of valid blocks, so this terminates.
  while (true) {
    const BlockEntry* e = find(cur);
    if (!e) {
      out.result = AncestryWalk::Result::missing;
      out.missing = cur;
      return out;
    }
    if (e->block->view <= t->block->view) {
      out.result = cur == target ? AncestryWalk::Result::reached : AncestryWalk::Result::diverged;
      return out;
    }
    cur = e->block->parent;
  }
}

std::vector<const BlockEntry*> BlockTree::chain_after(const Digest& ancestor,
                                                      const Digest& from) const {
  std::vector<const BlockEntry*> out;
  for (Digest cur = from; cur != ancestor;) {
    const BlockEntry* e = find(cur);
    if (!e) throw std::logic_error("hotstuff: chain_after on an incomplete chain");
    out.push_back(e);
    cur = e->block->parent;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<Block> BlockTree::ancestors(const Digest& hash, std::uint32_t max) const {
  std::vector<Block> out;
  Digest cur = hash;
  while (out.size() < max) {
    const BlockEntry* e = find(cur);
    // A stub root carries no batch: it cannot be served (its hash would not verify).
    // Genesis is known to everyone and a stub root cannot be served (no batch).
    if (!e || e->stub || e->block->view.value == 0) break;
    out.push_back(*e->block);
    cur = e->block->parent;
  }
  return out;
}

void BlockTree::mark_committed(const Digest& hash, std::uint64_t retain) {
  auto it = blocks_.find(hash);
  if (it == blocks_.end()) throw std::logic_error("hotstuff: committing an unknown block");
  if (it->second.committed) return;
  it->second.committed = true;
  committed_order_.push_back(hash);
  root_ = hash;
  prune(retain);
}

void BlockTree::install_root(const Block& header, const Digest& hash) {
  auto stub = std::make_shared<Block>(header);
  stub->batch.clear();
  blocks_[hash] = BlockEntry{std::move(stub), hash, true, true, batch_digest(Batch{})};
  committed_order_.push_back(hash);
  root_ = hash;
}

void BlockTree::prune(std::uint64_t retain) {
  const View root_view = blocks_.at(root_).block->view;
  // Forks: uncommitted blocks at or below the root's view can never be committed.
  while (!uncommitted_by_view_.empty() && uncommitted_by_view_.begin()->first <= root_view) {
    auto it = blocks_.find(uncommitted_by_view_.begin()->second);
    if (it != blocks_.end() && !it->second.committed) blocks_.erase(it);
    uncommitted_by_view_.erase(uncommitted_by_view_.begin());
  }
  while (committed_order_.size() > retain + 1) {
    blocks_.erase(committed_order_.front());
    committed_order_.pop_front();
  }
}

}  // namespace knhk::hotstuff
