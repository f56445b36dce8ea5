// Internal invariants: a violated one is a bug in the replica, never bad input. The check
// stays on in release builds. It throws InvariantViolation so that the simulator can stop
// the run and report it as a failure (the fuzzer then shrinks it like any other); on a
// real node nothing catches it and the process stops loudly.
#pragma once

#include <stdexcept>
#include <string>

namespace knhk {

struct InvariantViolation : std::logic_error {
  using std::logic_error::logic_error;
};

[[noreturn]] inline void invariant_failed(const char* component, const char* what) {
  throw InvariantViolation(std::string(component) + " invariant violated: " + what);
}

}  // namespace knhk
