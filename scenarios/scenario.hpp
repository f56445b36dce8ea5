// A validated scenario: pure data mirroring /work/shared/design/SCENARIO_FORMAT.md key by
// key. The loader (loader.hpp) builds it from YAML and rejects anything out of range, so
// code that receives a Scenario may rely on every invariant noted here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "faults/spec.hpp"
#include "protocols/common/crypto.hpp"
#include "protocols/common/params.hpp"
#include "protocols/common/types.hpp"

namespace knhk::scenarios {

// ---- faults (data types live in faults/spec.hpp) ----
using faults::all_behaviors;
using faults::Behavior;
using faults::behavior_from_string;
using faults::ByzantineFault;
using faults::ClockSkewFault;
using faults::CrashFault;
using faults::DelayFault;
using faults::DropFault;
using faults::DuplicateFault;
using faults::fault_kind_name;
using faults::FaultAction;
using faults::FaultSpec;
using faults::Group;
using faults::HealFault;
using faults::NodeRef;
using faults::PartitionFault;
using faults::RestartFault;

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
  // Unset: no GST, the base drop/duplicate apply for the whole run. Set (even to 0s):
  // they stop at gst and latency is capped at post_gst_max_delay (default 100ms) from then.
  std::optional<Duration> gst;
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
