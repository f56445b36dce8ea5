#include "protocols/pbft/config.hpp"

#include <algorithm>
#include <string>

#include "protocols/common/errors.hpp"

namespace knhk::pbft {

PbftConfig make_config(const ProtocolParams& params) {
  // n >= 3f + 1 with f >= 1: fewer than four replicas tolerate no Byzantine fault (§3).
  if (params.nodes < 4)
    throw InvalidValidatorSetError("PBFT needs n >= 4 replicas (got " +
                                   std::to_string(params.nodes) + ")");
  if (params.batch_size == 0) throw InvalidValidatorSetError("batch_size must be at least 1");
  if (params.checkpoint_interval == 0)
    throw InvalidValidatorSetError("checkpoint_interval must be at least 1");
  if (params.log_window < params.checkpoint_interval)
    throw InvalidValidatorSetError("log_window must be at least checkpoint_interval");
  if (params.view_timeout.ns <= 0) throw InvalidValidatorSetError("view_timeout must be positive");
  QuorumRules rules{params.nodes};
  PbftConfig c;
  c.n = params.nodes;
  c.f = rules.f();
  c.quorum = rules.quorum();
  c.weak_quorum = rules.weak_quorum();
  c.batch_size = params.batch_size;
  c.batch_timeout = params.batch_timeout;
  c.checkpoint_interval = params.checkpoint_interval;
  c.log_window = params.log_window;
  c.view_timeout = params.view_timeout;
  c.retransmit_interval = Duration{std::max<std::int64_t>(params.view_timeout.ns / 4, 1000)};
#if KNHK_BUGS
  c.bug = params.bug;
  if (c.bug == BugVariant::small_quorum) c.quorum = 2 * c.f;  // wrong: two quorums need not meet
#endif
  return c;
}

}  // namespace knhk::pbft
