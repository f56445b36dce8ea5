// Quorum certificates: verification against the validator set and formation from
// votes at the next leader (Alg. 4 onReceiveVote).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "protocols/common/crypto.hpp"
#include "protocols/hotstuff/config.hpp"
#include "protocols/hotstuff/messages.hpp"

namespace knhk::hotstuff {

enum class QcCheck { ok, too_few_votes, unknown_voter, unsorted_voters, bad_signature };
std::string_view to_string(QcCheck c);  // the rejection reason ("qc_too_few_votes", ...)

// A QC is valid when it is the genesis QC or carries `quorum` distinct votes from
// known replicas, each a valid signature over vote_body(view, block).
// `own_vote`, if given, is a vote the checking replica signed itself: a share equal to
// it (same view, block, voter and signature bytes) is valid without a verification,
// since a signature we produced over that body is one (ed25519 signing is deterministic,
// so our share in a QC has exactly those bytes). It saves one of the n - f verifications
// a replica that voted does for each QC.
QcCheck check_qc(const QuorumCert& qc, const HotStuffConfig& cfg, const Verifier& verifier,
                 const Vote* own_vote = nullptr);

// Remembers which (view, block) statements were already proven by a verified QC, so a
// QC seen again in later blocks and new-view messages is not re-verified.
class QcCache {
 public:
  bool known(const QuorumCert& qc) const { return proven_.count({qc.view, qc.block}) != 0; }
  void add(const QuorumCert& qc);

 private:
  std::set<std::pair<View, Digest>> proven_;
};

// Collects votes at the leader of view+1. Counts each voter once per (view, block)
// and detects a voter that signed two different blocks in one view.
class VoteCollector {
 public:
  struct Outcome {
    enum class Kind { added, duplicate, equivocation, formed } kind = Kind::added;
    std::optional<QuorumCert> qc;       // when formed
    std::optional<Digest> other_block;  // when equivocation: the block voted for first
  };
  Outcome add(const Vote& v, std::uint32_t quorum);
  // Forgets views below `view` (bounded memory).
  void prune_below(View view);

 private:
  std::map<std::pair<View, Digest>, std::map<NodeId, Signature>> shares_;
  std::map<std::pair<View, NodeId>, Digest> voted_;
  std::set<std::pair<View, Digest>> formed_;
};

}  // namespace knhk::hotstuff
