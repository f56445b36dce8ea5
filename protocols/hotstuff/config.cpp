#include "protocols/hotstuff/config.hpp"

#include <string>

#include "protocols/common/errors.hpp"

namespace knhk::hotstuff {

HotStuffConfig HotStuffConfig::from(const ProtocolParams& p) {
  // Same rules as PBFT: n >= 3f + 1 with f >= 1, so n >= 4.
  if (p.nodes < 4)
    throw InvalidValidatorSetError("hotstuff needs at least 4 replicas (n >= 3f+1, f >= 1), got " +
                                   std::to_string(p.nodes));
  if (p.nodes > 1000)
    throw InvalidValidatorSetError("hotstuff supports at most 1000 replicas, got " +
                                   std::to_string(p.nodes));
  if (p.batch_size == 0) throw InvalidValidatorSetError("batch_size must be at least 1");
  if (p.view_timeout.ns <= 0) throw InvalidValidatorSetError("view_timeout must be positive");
  HotStuffConfig c;
  QuorumRules q{p.nodes};
  c.n = p.nodes;
  c.f = q.f();
  c.quorum = q.quorum();
  c.batch_size = p.batch_size;
  c.batch_timeout = p.batch_timeout;
  c.view_timeout = p.view_timeout;
  c.snapshot_interval = p.snapshot_interval;
  c.app = p.app;
  c.keys = p.keys;
  c.bug = p.bug;
  // Bug variant: certificates of 2f votes, which two disjoint quorums can both reach.
  if (c.has_bug(BugVariant::small_quorum)) c.quorum = 2 * c.f;
  return c;
}

}  // namespace knhk::hotstuff
