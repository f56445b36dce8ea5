// Block sync: fetching blocks a replica lacks (an unknown parent, the block of a new
// QC, the ancestors of a restarted replica) and checking what comes back against the
// hash it asked for. Proposals that wait for ancestors are parked here.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "protocols/common/host.hpp"
#include "protocols/hotstuff/config.hpp"
#include "protocols/hotstuff/messages.hpp"

namespace knhk::hotstuff {

class BlockSync {
 public:
  BlockSync(const HotStuffConfig& cfg, NodeId self) : cfg_(cfg), self_(self) {}

  // Returns the peer to ask (`peer`, or the next one if that is us), or nothing if
  // this hash is already being fetched.
  std::optional<NodeId> want(const Digest& hash, NodeId peer);
  static BlockRequest request_for(const Digest& hash);
  bool outstanding(const Digest& hash) const { return fetches_.count(hash) != 0; }
  void fulfilled(const Digest& hash) { fetches_.erase(hash); }
  bool idle() const { return fetches_.empty(); }
  // On the retry timer: ask the next peer for every outstanding hash, giving up
  // after a bounded number of attempts. Returns (peer, request) pairs to send.
  std::vector<std::pair<NodeId, BlockRequest>> retry();

  // Hash-chain check of a response to our request: blocks[0] hashes to `requested`
  // and every next block is the previous one's parent. Returns the verified hashes,
  // or nothing with the rejection reason in `reason`.
  std::optional<std::vector<Digest>> check_chain(const BlockResponse& r, std::string* reason) const;

  // Parked proposals (messages holding a Proposal) waiting for ancestors (bounded;
  // the oldest is dropped).
  void park(NodeId from, MessagePtr proposal);
  std::deque<std::pair<NodeId, MessagePtr>> take_parked();

 private:
  struct Fetch {
    NodeId peer;
    std::uint32_t attempts = 0;
  };
  NodeId next_peer(NodeId p) const;

  const HotStuffConfig& cfg_;
  NodeId self_;
  std::map<Digest, Fetch> fetches_;
  std::deque<std::pair<NodeId, MessagePtr>> parked_;
};

}  // namespace knhk::hotstuff
