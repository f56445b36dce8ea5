// Random scenarios for property-based testing and `knhk fuzz`: a cluster, a workload,
// a network model and a fault schedule within a fault budget, all drawn from one seed.
//
// The budget is the number of replicas that may be faulty (crashed or Byzantine) at
// once: `within_f` for properties that must hold, `f_plus_one` to show that the
// checkers find violations when the protocol's assumption is broken.
#pragma once

#include <cstdint>
#include <optional>

#include "scenarios/scenario.hpp"

namespace knhk::scenarios {

enum class FaultBudget { within_f, f_plus_one };

struct GeneratorOptions {
  std::optional<ProtocolKind> protocol;  // default: either
  std::optional<std::uint32_t> nodes;    // default: 4..max_nodes
  std::uint32_t max_nodes = 13;
  FaultBudget budget = FaultBudget::within_f;
  Duration duration = Duration::secs(5);
  bool byzantine = true;  // allow Byzantine behaviours besides crashes and network faults
};

// The same (seed, options) always give the same scenario.
Scenario generate_scenario(std::uint64_t seed, const GeneratorOptions& options);

// Replicas faulty (crashed or Byzantine) at some point of the schedule.
std::vector<std::uint32_t> faulty_replicas(const Scenario& s);

}  // namespace knhk::scenarios
