// The simulated network: decides, for every message, whether it is lost, how many
// copies arrive and after what delay. It does not schedule anything itself (the
// simulation does), which keeps the link model testable and benchmarkable alone.
//
// Model (see docs/simulator.md):
// - Endpoints are replicas and clients (knhk::Principal). Partitions, blocks and
//   '*' link faults act on replica-to-replica links; a client link is affected only
//   by a fault that names that client explicitly.
// - A message from A to B is delivered iff the direct link A→B is open at send time
//   (no relaying): a partition closes every link between different groups, block()
//   closes one direction. Boost.Graph computes multi-hop reachability and strongly
//   connected groups over the open links, for checkers and reports; cached until the
//   topology changes.
// - Delay = base latency (per-link override or default distribution, clamped ≥ 0)
//   + serialization delay size/bandwidth queued on the sender's egress link
//   + extra delay of every active link fault matching the link.
// - Before GST the base drop/duplicate probabilities apply; from GST on they stop and
//   the base part of the delay is capped at post_gst_max_delay. Active link faults
//   (extra delay, drop, duplicate) apply before and after GST.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocols/common/types.hpp"
#include "sim/rng.hpp"

namespace knhk::sim {

struct LatencyModel {
  enum class Kind : std::uint8_t { constant, uniform, normal, lognormal, exponential };
  Kind kind = Kind::constant;
  // constant: a = value; uniform: [a, b); normal: mean a, stddev b;
  // lognormal: median a, shape sigma; exponential: mean a.
  Duration a = Duration::millis_(1);
  Duration b{};
  double sigma = 0.0;

  static LatencyModel constant(Duration v) { return {Kind::constant, v, {}, 0.0}; }
  static LatencyModel uniform(Duration lo, Duration hi) { return {Kind::uniform, lo, hi, 0.0}; }
  static LatencyModel normal(Duration mean, Duration stddev) {
    return {Kind::normal, mean, stddev, 0.0};
  }
  static LatencyModel lognormal(Duration median, double sigma) {
    return {Kind::lognormal, median, {}, sigma};
  }
  static LatencyModel exponential(Duration mean) { return {Kind::exponential, mean, {}, 0.0}; }

  // One sample, never negative. Constant latency draws nothing from `rng`.
  Duration sample(Rng& rng) const;
  // The distribution's mean before clamping (for docs, reports and tests).
  Duration mean() const;
  std::string describe() const;
};
const char* to_string(LatencyModel::Kind k);

// A directional override for the link from → to (replicas only).
struct LinkConfig {
  NodeId from;
  NodeId to;
  std::optional<LatencyModel> latency;
  std::optional<double> drop;
  std::optional<double> duplicate;
};

struct NetworkConfig {
  LatencyModel latency = LatencyModel::constant(Duration::millis_(1));
  double drop = 0.0;
  double duplicate = 0.0;
  std::optional<double> bandwidth_bps;  // bits per second per sender link; none = infinite
  // Global stabilization time. Unset: the base drop/duplicate apply for the whole run
  // and latency is never capped. Set: they stop at gst and latency is capped after it.
  std::optional<Time> gst;
  Duration post_gst_max_delay = Duration::millis_(100);
  std::vector<LinkConfig> links;
};

// Matches one endpoint of a link fault: a specific replica or client, or any replica.
struct EndpointMatch {
  enum class Kind : std::uint8_t { any_replica, principal };
  Kind kind = Kind::any_replica;
  Principal principal{};

  static EndpointMatch any() { return {}; }
  static EndpointMatch replica(NodeId n) { return {Kind::principal, Principal::replica(n)}; }
  static EndpointMatch client(ClientId c) { return {Kind::principal, Principal::client(c)}; }
  bool matches(Principal p) const {
    return kind == Kind::any_replica ? p.kind == Principal::Kind::replica : p == principal;
  }
};

// A fault on matching links while it is installed (faults/ installs and removes it).
struct LinkFault {
  EndpointMatch from;
  EndpointMatch to;
  Duration extra_delay{};
  double drop = 0.0;
  double duplicate = 0.0;
  std::string label;  // shown in the trace when this fault drops/duplicates/delays a message
};
using LinkFaultHandle = std::uint64_t;

// Why a message was not delivered (or why it got an extra copy).
enum class DropReason : std::uint8_t { none, blocked, random_loss, fault_loss };
const char* to_string(DropReason r);

// The network's decision for one message.
struct Fate {
  std::uint8_t copies = 0;  // 0 (lost), 1, or 2 (duplicated)
  Duration delay[2]{};
  DropReason reason = DropReason::none;
  const LinkFault* fault = nullptr;  // the fault that dropped or duplicated it, if any
  bool duplicated_by_fault = false;
};

// Per message type: what was sent, delivered, lost and duplicated.
struct TypeCounters {
  std::uint64_t sent = 0;
  std::uint64_t sent_bytes = 0;
  std::uint64_t delivered = 0;
  std::uint64_t delivered_bytes = 0;
  std::uint64_t dropped = 0;
  std::uint64_t duplicated = 0;
};

class Network {
 public:
  Network(NetworkConfig config, std::uint32_t replicas, std::uint32_t clients, Rng rng);
  ~Network();

  const NetworkConfig& config() const { return config_; }
  std::uint32_t replicas() const { return replicas_; }
  std::uint32_t clients() const { return clients_; }

  // Decides the fate of one message of `size` bytes sent at `now`, and counts it
  // under `type`, a name with static storage (e.g. knhk::type_name(msg)).
  Fate route(Time now, Principal from, Principal to, std::size_t size, std::string_view type) {
    return route(now, from, to, size, counters(type));
  }
  // The same, counting into `counters` (from counters(type), looked up once per type).
  Fate route(Time now, Principal from, Principal to, std::size_t size, TypeCounters& counters);
  // Counts a copy that reached its destination.
  void count_delivered(std::string_view type, std::size_t size) {
    count_delivered(counters(type), size);
  }
  static void count_delivered(TypeCounters& c, std::size_t size) {
    ++c.delivered;
    c.delivered_bytes += size;
  }
  // Counts a copy that arrived at a crashed replica (or one restarted since).
  void count_lost_at_destination(std::string_view type) { ++counters(type).dropped; }
  static void count_lost_at_destination(TypeCounters& c) { ++c.dropped; }
  // The counters of one message type, created empty when first asked for; the reference
  // stays valid for the Network's lifetime.
  TypeCounters& counters(std::string_view type);

  // ---- runtime faults ----
  // Groups of replicas that can talk among themselves; replicas not listed form one more
  // group. Replaces any earlier partition (blocks stay).
  void set_partition(const std::vector<std::vector<NodeId>>& groups);
  // Closes the one direction from → to.
  void block(NodeId from, NodeId to);
  void unblock(NodeId from, NodeId to);
  // Removes every partition and block (link faults stay until removed).
  void heal();
  LinkFaultHandle add_link_fault(LinkFault fault);
  bool remove_link_fault(LinkFaultHandle h);
  void remove_all_link_faults();
  // A node's local clock reads virtual time + offset (the simulation applies it).
  void set_clock_skew(NodeId node, Duration offset);
  Duration clock_skew(NodeId node) const;

  // ---- topology queries ----
  bool link_open(NodeId from, NodeId to) const;
  bool is_partitioned() const { return closed_links_ > 0; }
  // Multi-hop: is there a path of open links from → to? (Boost.Graph, cached.)
  bool reachable(NodeId from, NodeId to) const;
  // Strongly connected groups of replicas over open links, each sorted, ordered by
  // their smallest member.
  std::vector<std::vector<NodeId>> strongly_connected_groups() const;
  // False when no GST is configured: the base model then holds for the whole run.
  bool after_gst(Time now) const { return config_.gst && now >= *config_.gst; }

  // ---- counters ----
  // By message type name, sorted by name.
  std::map<std::string, TypeCounters> counters_by_type() const;
  TypeCounters totals() const;

 private:
  struct LinkParams {
    const LatencyModel* latency;
    double drop;
    double duplicate;
  };
  struct ReachCache;
  LinkParams link_params(Principal from, Principal to) const;
  Duration base_delay(Time now, Principal from, const LinkParams& p, std::size_t size);
  void topology_changed();
  std::size_t index(NodeId from, NodeId to) const { return from.value * replicas_ + to.value; }
  static bool is_uniform(const NetworkConfig& c);

  NetworkConfig config_;
  // Every link alike and certain: constant latency, no loss or duplication, no bandwidth
  // limit, no per-link override. Then, while no partition, block or link fault is active,
  // a message's fate is one copy after the constant latency, and route() says so without
  // the general path (which would draw nothing from the rng either).
  bool uniform_links_;
  std::uint32_t replicas_;
  std::uint32_t clients_;
  Rng rng_;
  // Directed link state among replicas: partition_group_ per node, blocked_ per link.
  std::vector<std::uint32_t> partition_group_;
  std::vector<std::uint8_t> blocked_;
  std::vector<std::uint8_t> closed_;  // partition or block, per directed link
  std::size_t closed_links_ = 0;
  std::vector<const LinkConfig*> overrides_;  // per directed replica link, or null
  std::vector<Time> egress_free_at_;          // per sender endpoint (bandwidth queue)
  std::map<LinkFaultHandle, LinkFault> faults_;
  LinkFaultHandle next_fault_ = 1;
  std::vector<Duration> skew_;
  // Counters by interned type name; the key is the name's characters, never a pointer.
  std::map<std::string, TypeCounters, std::less<>> counters_;
  // Lookup caches by the name's address (a direct-mapped array in front of a hash map);
  // never iterated, so addresses reach no output.
  struct CacheSlot {
    const void* name = nullptr;
    TypeCounters* counters = nullptr;
  };
  CacheSlot counter_slots_[32];
  std::unordered_map<const void*, TypeCounters*> counter_cache_;
  std::unique_ptr<ReachCache> reach_;
};

}  // namespace knhk::sim
