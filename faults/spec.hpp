// Faults as data: what the `faults:` list of a scenario says, independent of YAML.
// The schedule (schedule.hpp) applies them to a running simulation; the scenario loader
// produces them; the fuzzer generates and shrinks them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocols/common/types.hpp"

namespace knhk::faults {

// A node id, or '*' (every node). Invariant: id < protocol.nodes unless `any`.
struct NodeRef {
  bool any = false;
  std::uint32_t id = 0;

  static NodeRef all() { return {true, 0}; }
  static NodeRef node(std::uint32_t id) { return {false, id}; }
  bool matches(std::uint32_t node) const { return any || id == node; }
  bool operator==(const NodeRef&) const = default;
};

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

}  // namespace knhk::faults
