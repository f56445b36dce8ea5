// Shrinks a failing scenario to a small one a person can read: greedy, repeated
// passes of simplifications (drop a fault, shorten the run, fewer clients and keys,
// a plainer network, fewer nodes, smaller batches), each kept only when the
// scenario still fails the same way. Deterministic: the same input and predicate
// give the same result.
#pragma once

#include <cstdint>
#include <functional>
#include <set>

#include "scenarios/scenario.hpp"

namespace knhk::scenarios {

// True when the candidate still shows the failure being shrunk.
using StillFails = std::function<bool(const Scenario&)>;

struct ShrinkResult {
  Scenario scenario;
  std::uint32_t attempts = 0;  // candidate runs
  std::uint32_t accepted = 0;  // simplifications kept
};

ShrinkResult shrink_scenario(const Scenario& failing, const StillFails& still_fails,
                             std::uint32_t max_attempts = 400);

// Simpler variants of `s`, most aggressive first. Exposed for tests.
std::vector<Scenario> shrink_candidates(const Scenario& s);

// Replicas still impaired when the schedule is over: crashed and not restarted, Byzantine,
// or cut off by a partition that is never healed. The shrinker never lets this set grow
// (dropping a `heal` or a `restart` would turn a within-f scenario into one beyond f).
std::set<std::uint32_t> impaired_at_end(const Scenario& s);

}  // namespace knhk::scenarios
