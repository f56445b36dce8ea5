// Writes a Scenario back in the format the loader reads; load(to_yaml(s)) == s.
// The fuzzer uses it to hand a person a shrunk counterexample they can replay.
#pragma once

#include <string>

#include "scenarios/scenario.hpp"

namespace knhk::scenarios {

std::string to_yaml(const Scenario& s);

}  // namespace knhk::scenarios
