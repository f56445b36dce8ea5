// Block sync: a replica missing a block (unknown parent of a proposal, the block of a
// new QC, the chain after a restart) asks a peer for it and its ancestors, and trusts
// the answer only through hashes: the first block must hash to what it asked for and
// each next block to its predecessor's parent link.
#include "protocols/hotstuff/block_sync.hpp"

#include "protocols/hotstuff/replica.hpp"

namespace knhk::hotstuff {
namespace {
constexpr std::uint32_t kBlocksPerRequest = 16;
}

std::optional<NodeId> BlockSync::want(const Digest& hash, NodeId peer) {
  if (peer == self_ || peer.value >= cfg_.n) peer = next_peer(peer);
  auto [it, fresh] = fetches_.try_emplace(hash, Fetch{peer, 0});
  if (!fresh) return std::nullopt;
  return peer;
}

BlockRequest BlockSync::request_for(const Digest& hash) {
  return BlockRequest{hash, kBlocksPerRequest, NodeId(0), {}};
}

NodeId BlockSync::next_peer(NodeId p) const {
  NodeId q((p.value + 1) % cfg_.n);
  if (cfg_.n < 2) return q;
  if (q == self_) q = NodeId((q.value + 1) % cfg_.n);
  return q;
}

std::vector<std::pair<NodeId, BlockRequest>> BlockSync::retry() {
  std::vector<std::pair<NodeId, BlockRequest>> out;
  for (auto it = fetches_.begin(); it != fetches_.end();) {
    Fetch& f = it->second;
    if (++f.attempts > 3 * cfg_.n) {  // nobody has it: give up (a later message retries)
      it = fetches_.erase(it);
      continue;
    }
    f.peer = next_peer(f.peer);
    out.push_back({f.peer, request_for(it->first)});
    ++it;
  }
  return out;
}

std::optional<std::vector<Digest>> BlockSync::check_chain(const BlockResponse& r,
                                                          std::string* reason) const {
  std::vector<Digest> hashes;
  Digest expected = r.requested;
  for (const Block& b : r.blocks) {
    if (expected == genesis_hash()) break;  // everyone has genesis; nothing below it
    Digest h = block_hash(b);
    if (h != expected) {
      *reason = "sync_hash_mismatch";
      return std::nullopt;
    }
    if (b.view.value == 0 || b.parent != b.justify.block || b.justify.view >= b.view) {
      *reason = "sync_malformed_block";
      return std::nullopt;
    }
    hashes.push_back(h);
    expected = b.parent;
  }
  if (hashes.empty()) {
    *reason = "sync_empty_response";
    return std::nullopt;
  }
  return hashes;
}

void BlockSync::park(NodeId from, MessagePtr proposal) {
  const Digest& hash = proposal_in(proposal).block_hash;
  for (const auto& [f, q] : parked_)
    if (proposal_in(q).block_hash == hash) return;
  parked_.emplace_back(from, std::move(proposal));
  while (parked_.size() > cfg_.max_parked_proposals) parked_.pop_front();
}

std::deque<std::pair<NodeId, MessagePtr>> BlockSync::take_parked() {
  std::deque<std::pair<NodeId, MessagePtr>> out;
  out.swap(parked_);
  return out;
}

// ---- the replica's block-sync handlers ----

void HotStuffReplica::fetch(const Digest& hash, NodeId peer) {
  std::optional<NodeId> to = sync_.want(hash, peer);
  if (!to) return;
  BlockRequest req = BlockSync::request_for(hash);
  sign(req, *signer_);
  out_->trace("block_fetch", pacemaker_.current_view(), 0,
              hash.short_hex() + " from " + std::to_string(to->value));
  out_->send(*to, make_message(hotstuff::Message(req)));
  if (!fetch_timer_armed_) {
    out_->set_timer(kFetchTimer, retransmit_interval());
    fetch_timer_armed_ = true;
  }
}

void HotStuffReplica::on_block_request(NodeId from, const BlockRequest& m) {
  if (m.sender != from) {
    reject("sender_mismatch", View(0), "block_request");
    return;
  }
  if (!verify_signature(m, *verifier_)) {
    reject("bad_signature", View(0), "block_request");
    evidence(from, EvidenceEffect::Kind::invalid_signature, "block request signature invalid");
    return;
  }
  std::vector<Block> blocks = tree_.ancestors(m.block, std::min(m.max_blocks, kMaxSyncBlocks));
  if (blocks.empty()) return;  // we do not have it either; the requester asks another peer
  BlockResponse r{m.block, std::move(blocks), id_, {}};
  sign(r, *signer_);
  out_->send(from, make_message(hotstuff::Message(std::move(r))));
}

void HotStuffReplica::on_block_response(NodeId from, const BlockResponse& m) {
  if (m.sender != from) {
    reject("sender_mismatch", View(0), "block_response");
    return;
  }
  if (!sync_.outstanding(m.requested)) return;  // late or duplicate answer: benign
  if (!verify_signature(m, *verifier_)) {
    reject("bad_signature", View(0), "block_response");
    evidence(from, EvidenceEffect::Kind::invalid_signature, "block response signature invalid");
    return;
  }
  if (!sync_blocks_valid(from, m)) return;
  sync_.fulfilled(m.requested);
  // Oldest first, so every inserted block's parent is already present.
  for (auto it = m.blocks.rbegin(); it != m.blocks.rend(); ++it) {
    if (it->view <= exec_view_) continue;
    const Digest batch = batch_digest(it->batch);
    tree_.insert(std::make_shared<const Block>(*it), block_hash(*it, batch), batch);
  }
  out_->trace("block_sync", pacemaker_.current_view(), m.blocks.size(),
              m.requested.short_hex() + " from " + std::to_string(from.value));
  const Block& oldest = m.blocks.back();
  if (oldest.view > exec_view_ && !tree_.contains(oldest.parent)) fetch(oldest.parent, from);
  retry_parked();
  try_propose();
}

bool HotStuffReplica::sync_blocks_valid(NodeId from, const BlockResponse& m) {
  std::string reason;
  if (!sync_.check_chain(m, &reason)) {
    reject(reason, View(0), "from " + std::to_string(from.value));
    return false;
  }
  for (const Block& b : m.blocks) {
    if (b.view <= exec_view_) break;
    if (!qc_cache_.known(b.justify)) {
      QcCheck c = check_qc(b.justify, cfg_, *verifier_);
      if (c != QcCheck::ok) {
        reject("sync_" + std::string(to_string(c)), b.view);
        return false;
      }
      qc_cache_.add(b.justify);
    }
  }
  return true;
}

void HotStuffReplica::on_fetch_timer() {
  for (auto& [peer, req] : sync_.retry()) {
    sign(req, *signer_);
    out_->send(peer, make_message(hotstuff::Message(req)));
  }
  if (!sync_.idle()) {
    out_->set_timer(kFetchTimer, retransmit_interval());
    fetch_timer_armed_ = true;
  }
}

void HotStuffReplica::retry_parked() {
  if (retrying_parked_) {
    parked_dirty_ = true;
    return;
  }
  retrying_parked_ = true;
  do {
    parked_dirty_ = false;
    for (auto& [from, p] : sync_.take_parked())
      accept_proposal(from, p, batch_digest(proposal_in(p).block.batch));
  } while (parked_dirty_);
  retrying_parked_ = false;
}

}  // namespace knhk::hotstuff
