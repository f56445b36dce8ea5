// PBFT configuration derived from the scenario's protocol parameters (OSDI'99 §4).
#pragma once

#include <cstdint>

#include "protocols/common/params.hpp"
#include "protocols/common/types.hpp"

namespace knhk::pbft {

struct PbftConfig {
  std::uint32_t n = 4;
  std::uint32_t f = 1;
  std::uint32_t quorum = 3;       // n - f: prepared/committed/stable certificates and V-sets
  std::uint32_t weak_quorum = 2;  // f + 1: joining a higher view, matching client replies
  std::uint32_t batch_size = 1;
  Duration batch_timeout = Duration::millis_(1);
  std::uint64_t checkpoint_interval = 128;  // K
  std::uint64_t log_window = 256;           // L: high watermark = low + L
  Duration view_timeout = Duration::millis_(500);
  // Retransmission and catch-up period: a replica whose execution made no progress for
  // this long re-sends its own messages for pending slots and asks a peer for state.
  Duration retransmit_interval = Duration::millis_(125);
  std::uint32_t max_backoff_exponent = 6;  // view-change timeout is at most base * 2^6
  std::uint32_t max_pending_requests = 1u << 16;
  std::uint32_t max_transfer_entries = 256;  // committed batches per state-transfer response

  // A deliberately wrong variant (issue 6's teeth); only honoured in KNHK_BUGS builds.
  BugVariant bug = BugVariant::none;

  NodeId primary(View v) const { return NodeId(static_cast<std::uint32_t>(v.value % n)); }
};

// Throws InvalidValidatorSetError when n < 4 or a parameter is unusable.
PbftConfig make_config(const ProtocolParams& params);

}  // namespace knhk::pbft
