// Counts heap allocations made by operator new while a Tracking scope is alive, so a
// test can show that decoding forged input never allocates far beyond its size.
#pragma once

#include <cstddef>

namespace knhk::testing {

struct AllocStats {
  std::size_t largest = 0;  // bytes of the largest single allocation
  std::size_t total = 0;    // bytes allocated in all
};

// False in sanitizer builds, where the counters stay zero.
bool alloc_tracking_supported();

// Only one scope at a time; the test binaries are single-threaded.
class AllocTracking {
 public:
  AllocTracking();
  ~AllocTracking();
  AllocStats stats() const;
};

}  // namespace knhk::testing
