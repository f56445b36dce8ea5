// What a real node exports on --metrics-port, in Prometheus text format, under the
// names of ARCHITECTURE.md (consensus_phases_total, consensus_latency_seconds,
// validator_reputation, byzantine_nodes, state_commit_rate) plus transport counters.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "net/drop_reason.hpp"
#include "protocols/common/host.hpp"

namespace knhk::net {

// consensus_latency_seconds buckets (upper bounds, seconds).
inline constexpr std::array<double, 12> kLatencyBuckets = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
                                                           0.1,   0.2,   0.5,   1,    2,    5};

class NodeMetrics {
 public:
  NodeMetrics(NodeId self, std::uint32_t nodes, Time started);

  void message_sent(std::string_view type, std::uint64_t datagrams);
  void message_received(NodeId from, std::string_view type, Time now);
  void client_request(std::string_view type = "request") { ++phases_[{"request", "received"}]; }
  void commit_latency(Duration d);
  void committed(std::uint64_t requests) { committed_requests_ += requests; }
  void evidence(NodeId culprit) {
    byzantine_.insert(culprit);
    ++evidence_against_[culprit];
  }
  void trace(const std::string& kind) { ++trace_events_[kind]; }
  // Called about once a second: updates peer uptime and the commit rate.
  void tick(Time now);

  // Renders every metric; `status`, `drops` and `syncs` are read at render time.
  std::string render(const ReplicaStatus& status, const DropCounters& drops,
                     std::uint64_t datagrams_in, std::uint64_t datagrams_out,
                     std::uint64_t store_syncs) const;

 private:
  struct Peer {
    std::uint64_t valid_messages = 0;
    Time last_heard{};
    bool heard = false;
    std::uint64_t up_ticks = 0;
  };
  double reputation(NodeId id, const Peer& p) const;

  NodeId self_;
  Time started_;
  Time last_tick_;
  std::uint64_t ticks_ = 0;
  std::map<std::pair<std::string, std::string>, std::uint64_t> phases_;  // (type, direction)
  std::map<NodeId, Peer> peers_;
  std::map<NodeId, std::uint64_t> evidence_against_;
  std::set<NodeId> byzantine_;
  std::map<std::string, std::uint64_t> trace_events_;
  std::array<std::uint64_t, kLatencyBuckets.size()> latency_buckets_{};
  std::uint64_t latency_count_ = 0;
  double latency_sum_ = 0;
  std::uint64_t committed_requests_ = 0;
  std::uint64_t committed_at_last_tick_ = 0;
  double commit_rate_ = 0;
};

}  // namespace knhk::net
