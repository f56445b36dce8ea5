// Loads a scenario file into a validated Scenario, or throws ScenarioError
// ("FILE:LINE:COLUMN: message"). Nothing is partially accepted: unknown keys, wrong
// types, out-of-range values and node ids ≥ n are all errors.
#pragma once

#include <string>

#include "scenarios/error.hpp"
#include "scenarios/scenario.hpp"

namespace knhk::scenarios {

Scenario load_scenario_file(const std::string& path);
// `file` names the source in error messages.
Scenario load_scenario_text(const std::string& text, const std::string& file = "<string>");

}  // namespace knhk::scenarios
