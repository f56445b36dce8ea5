// Scenario → the simulator's configuration. The one place that maps the file format's
// keys onto sim::SimulationConfig.
#pragma once

#include "scenarios/scenario.hpp"
#include "sim/simulation.hpp"

namespace knhk::scenarios {

sim::SimulationConfig to_simulation_config(const Scenario& s);
sim::LatencyModel to_latency_model(const LatencyDist& d);

}  // namespace knhk::scenarios
