// A validated scenario: pure data mirroring /work/shared/design/SCENARIO_FORMAT.md key by
// key. The loader (loader.hpp) builds it from YAML and rejects anything out of range, so
// code that receives a Scenario may rely on every invariant noted here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocols/common/crypto.hpp"
#include "protocols/common/params.hpp"
#include "protocols/common/types.hpp"

namespace knhk::scenarios {

// A node id, or '*' (every node). Invariant: id < protocol.nodes unless `any`.
struct NodeRef {
  bool any = false;
  std::uint32_t id = 0;

  static NodeRef all() { return {true, 0}; }
  static NodeRef node(std::uint32_t id) { return {false, id}; }
  bool matches(std::uint32_t node) const { return any || id == node; }
  bool operator==(const NodeRef&) const = default;
};

// One-way link latency. Only the fields of `dist` are meaningful; all are ≥ 0.
struct LatencyDist {
  enum class Kind { constant, uniform, normal, lognormal, exponential };
  Kind dist = Kind::constant;
  Duration value{};   // constant
  Duration min{};     // uniform
  Duration max{};     // uniform
  Duration mean{};    // normal, exponential
  Duration stddev{};  // normal
  Duration median{};  // lognormal
  double sigma = 0;   // lognormal (dimensionless shape)

  static LatencyDist constant(Duration v) {
    LatencyDist d;
    d.value = v;
    return d;
  }
  // Compares only the fields `dist` uses, so a leftover field of another kind is no difference.
  bool operator==(const LatencyDist& o) const;
};
const char* to_string(LatencyDist::Kind k);

struct ProtocolSpec {
  ProtocolKind kind = ProtocolKind::pbft;
  std::uint32_t nodes = 4;  // ≥ 4
  std::uint32_t batch_size = 1;
  Duration batch_timeout = Duration::millis_(1);
  std::uint64_t checkpoint_interval = 128;
  Duration view_timeout = Duration::millis_(500);
  std::uint64_t snapshot_interval = 1024;
  CryptoScheme crypto = CryptoScheme::sim;
  bool operator==(const ProtocolSpec&) const = default;
};

// Directional override of one link (or many, with '*').
struct LinkSpec {
  NodeRef from;
  NodeRef to;
  std::optional<LatencyDist> latency;
  std::optional<double> drop;
  std::optional<double> duplicate;
  bool operator==(const LinkSpec&) const = default;
};

struct NetworkSpec {
  LatencyDist latency = LatencyDist::constant(Duration::millis_(1));
  double drop = 0;
  double duplicate = 0;
  std::optional<std::uint64_t> bandwidth_bps;
  Duration gst{};
  std::optional<Duration> post_gst_max_delay;
  std::vector<LinkSpec> links;
  bool operator==(const NetworkSpec&) const = default;
};

struct ClientsSpec {
  enum class Mode { open, closed };
  std::uint32_t count = 1;
  Mode mode = Mode::closed;
  double rate_per_s = 0;          // open mode: total arrivals per second over all clients (> 0)
  std::uint32_t outstanding = 1;  // closed mode: in flight per client
  AppKind workload = AppKind::kv;
  std::uint32_t keys = 100;
  Duration request_timeout = Duration::secs(1);
  std::optional<Duration> stop_at;
  bool operator==(const ClientsSpec&) const = default;
};
const char* to_string(ClientsSpec::Mode m);

// ---- faults ----
using Group = std::vector<std::uint32_t>;

// Symmetric: `groups` (nodes not listed form one more group). Asymmetric (extension):
// `from` → `to` links are cut one way only.
struct PartitionFault {
  std::vector<Group> groups;
  Group from;
  Group to;
  bool asymmetric() const { return !from.empty(); }
  bool operator==(const PartitionFault&) const = default;
};
struct HealFault {
  bool operator==(const HealFault&) const = default;
};
struct DelayFault {
  NodeRef from, to;
  Duration extra{};
  bool operator==(const DelayFault&) const = default;
};
struct DropFault {
  NodeRef from, to;
  double probability = 0;
  bool operator==(const DropFault&) const = default;
};
struct DuplicateFault {
  NodeRef from, to;
  double probability = 0;
  bool operator==(const DuplicateFault&) const = default;
};
struct CrashFault {
  std::uint32_t node = 0;
  bool operator==(const CrashFault&) const = default;
};
struct RestartFault {
  std::uint32_t node = 0;
  bool operator==(const RestartFault&) const = default;
};
struct ClockSkewFault {
  std::uint32_t node = 0;
  Duration offset{};  // may be negative
  bool operator==(const ClockSkewFault&) const = default;
};

enum class Behavior {
  silent,
  equivocate,
  conflicting_votes,
  invalid_signature,
  corrupt_digest,
  replay,
  withhold_votes,
  mutate,
  twin
};
const char* to_string(Behavior b);
std::optional<Behavior> behavior_from_string(const std::string& s);
const std::vector<Behavior>& all_behaviors();

struct ByzantineFault {
  std::uint32_t node = 0;
  Behavior behavior = Behavior::silent;
  std::vector<Group> split;  // equivocate/twin only: exactly two sides when given
  std::optional<double> p;   // mutate only; default 0.2
  double mutate_probability() const { return p.value_or(0.2); }
  bool operator==(const ByzantineFault&) const = default;
};

using FaultAction = std::variant<PartitionFault, HealFault, DelayFault, DropFault, DuplicateFault,
                                 CrashFault, RestartFault, ClockSkewFault, ByzantineFault>;
const char* fault_kind_name(const FaultAction& a);

struct FaultSpec {
  Duration at{};
  std::optional<Duration> until;  // > at when present; the fault is reverted then
  FaultAction action;
  bool operator==(const FaultSpec&) const = default;
};

// ---- expectations ----
struct LivenessExpect {
  enum class Mode { unchecked, within, violated };
  Mode mode = Mode::unchecked;
  Duration within{};
  bool operator==(const LivenessExpect&) const = default;
};

struct ExpectSpec {
  bool safety = true;  // false: the run passes only if a safety violation is found
  LivenessExpect liveness;
  std::optional<std::uint64_t> min_commits;
  std::optional<std::uint64_t> max_view_changes;
  std::optional<Duration> latency_p50_max;
  std::optional<Duration> latency_p99_max;
  std::optional<std::vector<std::uint32_t>> byzantine_detected;
  bool operator==(const ExpectSpec&) const = default;
};

struct Scenario {
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  Duration duration{};
  ProtocolSpec protocol;
  NetworkSpec network;
  ClientsSpec clients;
  std::vector<FaultSpec> faults;  // sorted by `at` (stable: file order breaks ties)
  ExpectSpec expect;
  bool operator==(const Scenario&) const = default;

  QuorumRules quorum() const { return QuorumRules{protocol.nodes}; }
};

}  // namespace knhk::scenarios
