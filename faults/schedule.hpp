// The fault schedule: every fault of a scenario applied to a running Simulation at its
// `at` and reverted at its `until`, each change recorded in the trace.
//
// Byzantine faults do not touch the network: the node runs a ByzantineReplica (see
// byzantine_replica.hpp) from boot, and the schedule switches its behaviour on and off
// through a ByzantineControl shared with the replica factory (so a restart keeps it).
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "faults/byzantine_replica.hpp"
#include "faults/spec.hpp"
#include "sim/simulation.hpp"

namespace knhk::faults {

// The per-node controls the factory and the schedule share; one entry per node that has
// a Byzantine fault anywhere in the schedule.
using ByzantineControls = std::map<NodeId, std::shared_ptr<ByzantineControl>>;

ByzantineControls make_byzantine_controls(const std::vector<FaultSpec>& faults, std::uint32_t nodes,
                                          std::uint64_t seed);

// Wraps `base` so that nodes with a control run inside a ByzantineReplica.
sim::ReplicaFactory byzantine_factory(sim::ReplicaFactory base, ByzantineControls controls);

// Schedules every fault's apply (and revert) event in `sim`. `controls` must be the
// ones given to byzantine_factory for this simulation.
void install_schedule(sim::Simulation& sim, const std::vector<FaultSpec>& faults,
                      const ByzantineControls& controls);

// A short human-readable label, used in the trace ("crash 3", "delay 1->*").
std::string describe(const FaultSpec& f);

}  // namespace knhk::faults
