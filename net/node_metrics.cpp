#include "net/node_metrics.hpp"

#include <fmt/format.h>

namespace knhk::net {

NodeMetrics::NodeMetrics(NodeId self, std::uint32_t nodes, Time started)
    : self_(self), started_(started), last_tick_(started) {
  for (std::uint32_t i = 0; i < nodes; ++i)
    if (NodeId(i) != self) peers_[NodeId(i)] = Peer{};
}

void NodeMetrics::message_sent(std::string_view type, std::uint64_t datagrams) {
  ++phases_[{std::string(type), "sent"}];
}

void NodeMetrics::message_received(NodeId from, std::string_view type, Time now) {
  ++phases_[{std::string(type), "received"}];
  auto it = peers_.find(from);
  if (it == peers_.end()) return;
  ++it->second.valid_messages;
  it->second.last_heard = now;
  it->second.heard = true;
}

void NodeMetrics::commit_latency(Duration d) {
  double s = d.seconds();
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i)
    if (s <= kLatencyBuckets[i]) ++latency_buckets_[i];
  ++latency_count_;
  latency_sum_ += s;
}

void NodeMetrics::tick(Time now) {
  ++ticks_;
  // A peer counts as up in this tick if we heard from it within the last two seconds.
  for (auto& [id, p] : peers_)
    if (p.heard && now - p.last_heard <= Duration::secs(2)) ++p.up_ticks;
  double elapsed = (now - last_tick_).seconds();
  if (elapsed > 0)
    commit_rate_ = static_cast<double>(committed_requests_ - committed_at_last_tick_) / elapsed;
  committed_at_last_tick_ = committed_requests_;
  last_tick_ = now;
}

// ARCHITECTURE.md: reputation = valid% x 0.7 + uptime x 0.3. On a real node "valid" is
// every authenticated, decodable message from the peer, "invalid" every piece of
// Byzantine evidence the replica raised against it.
double NodeMetrics::reputation(NodeId id, const Peer& p) const {
  std::uint64_t bad = 0;
  if (auto it = evidence_against_.find(id); it != evidence_against_.end()) bad = it->second;
  double total = static_cast<double>(p.valid_messages + bad);
  double valid = total > 0 ? static_cast<double>(p.valid_messages) / total : 1.0;
  double uptime = ticks_ > 0 ? static_cast<double>(p.up_ticks) / static_cast<double>(ticks_) : 1.0;
  return valid * 0.7 + uptime * 0.3;
}

std::string NodeMetrics::render(const ReplicaStatus& status, const DropCounters& drops,
                                std::uint64_t datagrams_in, std::uint64_t datagrams_out,
                                std::uint64_t store_syncs) const {
  std::string o;
  auto line = [&o](std::string_view s) {
    o.append(s);
    o.push_back('\n');
  };
  line("# TYPE consensus_phases_total counter");
  for (const auto& [key, n] : phases_)
    line(fmt::format("consensus_phases_total{{type=\"{}\",direction=\"{}\"}} {}", key.first,
                     key.second, n));
  line("# TYPE consensus_latency_seconds histogram");
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i)
    line(fmt::format("consensus_latency_seconds_bucket{{le=\"{}\"}} {}", kLatencyBuckets[i],
                     latency_buckets_[i]));
  line(fmt::format("consensus_latency_seconds_bucket{{le=\"+Inf\"}} {}", latency_count_));
  line(fmt::format("consensus_latency_seconds_sum {}", latency_sum_));
  line(fmt::format("consensus_latency_seconds_count {}", latency_count_));
  line("# TYPE validator_reputation gauge");
  for (const auto& [id, p] : peers_)
    line(fmt::format("validator_reputation{{node=\"{}\"}} {:.4f}", id.value, reputation(id, p)));
  line("# TYPE byzantine_nodes gauge");
  line(fmt::format("byzantine_nodes {}", byzantine_.size()));
  line("# TYPE state_commit_rate gauge");
  line(fmt::format("state_commit_rate {:.1f}", commit_rate_));
  line("# TYPE knhk_datagrams_dropped_total counter");
  for (std::size_t i = 0; i < kDropReasonCount; ++i)
    line(fmt::format("knhk_datagrams_dropped_total{{reason=\"{}\"}} {}",
                     to_string(static_cast<DropReason>(i)), drops.count[i]));
  line(fmt::format("knhk_datagrams_received_total {}", datagrams_in));
  line(fmt::format("knhk_datagrams_sent_total {}", datagrams_out));
  line(fmt::format("knhk_store_syncs_total {}", store_syncs));
  line(fmt::format("knhk_committed_requests_total {}", committed_requests_));
  for (const auto& [reason, n] : status.rejected)
    line(fmt::format("knhk_replica_rejected_total{{reason=\"{}\"}} {}", reason, n));
  for (const auto& [kind, n] : trace_events_)
    line(fmt::format("knhk_trace_events_total{{kind=\"{}\"}} {}", kind, n));
  line(fmt::format("knhk_node_id {}", self_.value));
  line(fmt::format("knhk_view {}", status.view.value));
  line(fmt::format("knhk_view_changes_total {}", status.view_changes));
  line(fmt::format("knhk_is_leader {}", status.is_leader ? 1 : 0));
  line(fmt::format("knhk_committed_position {}", status.committed.value));
  line(fmt::format("knhk_state_hash{{position=\"{}\",hash=\"{}\"}} 1", status.committed.value,
                   status.state_hash.hex()));
  return o;
}

}  // namespace knhk::net
