// Committing: Alg. 4 onCommit(b) executes b's uncommitted ancestors first, then b,
// into the replicated state machine, and answers each client with a signed reply.
#include "protocols/hotstuff/replica.hpp"

namespace knhk::hotstuff {

void HotStuffReplica::commit_chain(const Digest& b) {
  // Copy the hashes first: committing prunes the tree.
  std::vector<Digest> chain;
  for (const BlockEntry* e : tree_.chain_after(b_exec_, b)) chain.push_back(e->hash);
  for (const Digest& h : chain) {
    const BlockEntry* e = tree_.find(h);
    if (!e) throw std::logic_error("hotstuff: block vanished while committing");
    execute_block(*e);
  }
  persist_exec(*tree_.find(b_exec_)->block);
  leader_proposals_.erase(leader_proposals_.begin(), leader_proposals_.lower_bound(exec_view_));
  votes_.prune_below(exec_view_);
  pacemaker_.prune_below(exec_view_);
}

void HotStuffReplica::execute_block(const BlockEntry& e) {
  std::shared_ptr<const Block> block = e.block;  // keeps the batch alive across pruning
  const Digest hash = e.hash;
  if (!block->batch.empty()) {
    // Empty blocks only drive the three-chain; they take no log position.
    std::shared_ptr<const Batch> batch(block, &block->batch);
    smr::ExecutionResult result =
        sm_.execute(batch, e.batch_digest, block->view, block->height.value, *out_);
    reply_to_clients(*block, result);
  }
  for (const auto& r : block->batch) pool_.remove(key_of(r));
  b_exec_ = hash;
  exec_view_ = block->view;
  exec_height_ = block->height;
  tree_.mark_committed(hash, cfg_.retained_committed_blocks);
  out_->trace("commit", block->view, block->height.value,
              std::to_string(block->batch.size()) + " requests, " + hash.short_hex());
}

// The header of b_exec (no batch) is what a restarted replica roots its tree at.
void HotStuffReplica::persist_exec(const Block& b) {
  Block header = b;
  header.batch.clear();
  Writer w;
  w.digest(b_exec_);
  encode(w, header);
  out_->persist(kExecKey, w.take());
}

void HotStuffReplica::reply_to_clients(const Block& b, const smr::ExecutionResult& result) {
  for (const auto& executed : result.requests) {
    if (executed.duplicate && executed.result.empty()) continue;
    const Request& r = *executed.request;
    auto reply = make_reply(b.view, r.client, r.id, id_, executed.result, *signer_);
    out_->list.emplace_back(reply_effect(r.client, std::move(reply)));
  }
}

}  // namespace knhk::hotstuff
