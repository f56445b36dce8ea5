// HotStuff's configuration, derived from the scenario's protocol parameters.
#pragma once

#include <cstdint>

#include "protocols/common/params.hpp"
#include "protocols/common/types.hpp"

namespace knhk::hotstuff {

struct HotStuffConfig {
  std::uint32_t n = 4;
  std::uint32_t f = 1;
  std::uint32_t quorum = 3;  // n - f votes make a QC
  std::uint32_t batch_size = 1;
  Duration batch_timeout = Duration::millis_(1);
  Duration view_timeout = Duration::millis_(500);
  // Exponential back-off doubles the view timeout per consecutive timeout, up to 2^cap.
  std::uint32_t max_backoff_exponent = 6;
  std::uint64_t snapshot_interval = 1024;
  AppKind app = AppKind::kv;
  std::uint32_t keys = 100;
  // Committed blocks kept in memory to serve block sync to lagging replicas.
  std::uint64_t retained_committed_blocks = 1024;
  // Client requests waiting to be proposed; more are dropped (clients retransmit).
  std::size_t max_pending_requests = 1u << 18;
  // Votes and NEW-VIEWs for views further ahead of the current one are dropped, so a
  // Byzantine sender cannot grow the collectors without bound.
  std::uint64_t max_views_ahead = 1u << 16;
  // Proposals parked while their ancestors are fetched.
  std::size_t max_parked_proposals = 64;

  // Leaders rotate round-robin, each holding this many consecutive views. The
  // three-chain commit needs four consecutive views with correct leaders (b, b', b''
  // in consecutive views and b* carrying QC(b'')); with one view per leader a single
  // crashed replica among four would block every commit, so each leader keeps 4.
  // 1 gives the paper's strict per-view rotation (the unit tests use it).
  std::uint32_t views_per_leader = 4;

  // A deliberately wrong variant for checker tests (only honoured when built with
  // KNHK_BUGS): small_quorum, ignore_lock, execute_before_commit.
  BugVariant bug = BugVariant::none;
  bool has_bug(BugVariant b) const {
#if KNHK_BUGS
    return bug == b;
#else
    (void)b;
    return false;
#endif
  }

  // Throws InvalidValidatorSetError when n < 4 or the parameters are unusable.
  static HotStuffConfig from(const ProtocolParams& p);

  NodeId leader(View v) const {
    return NodeId(static_cast<std::uint32_t>((v.value / views_per_leader) % n));
  }
  // The first view after `v` led by the next leader in the rotation (where a view
  // timeout goes: the current leader is presumed faulty for the rest of its term).
  View next_leader_view(View v) const {
    return View((v.value / views_per_leader + 1) * views_per_leader);
  }
};

}  // namespace knhk::hotstuff
