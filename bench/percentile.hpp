// Latency percentiles for the benchmark programs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace knhk::bench {

// The value at rank p·(n−1) of the sorted sample (p in [0, 1]); 0 for an empty one.
// nth_element, not a sort: a 60 s benchmark has 300,000 latencies, and sorting them twice
// was 1% of its timed wall clock.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const auto rank = static_cast<std::ptrdiff_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + rank, v.end());
  return v[static_cast<std::size_t>(rank)];
}

}  // namespace knhk::bench
