#include "scenarios/scenario.hpp"

namespace knhk::scenarios {

const char* to_string(LatencyDist::Kind k) {
  switch (k) {
    case LatencyDist::Kind::constant:
      return "constant";
    case LatencyDist::Kind::uniform:
      return "uniform";
    case LatencyDist::Kind::normal:
      return "normal";
    case LatencyDist::Kind::lognormal:
      return "lognormal";
    case LatencyDist::Kind::exponential:
      return "exponential";
  }
  return "?";
}

bool LatencyDist::operator==(const LatencyDist& o) const {
  if (dist != o.dist) return false;
  switch (dist) {
    case Kind::constant:
      return value == o.value;
    case Kind::uniform:
      return min == o.min && max == o.max;
    case Kind::normal:
      return mean == o.mean && stddev == o.stddev;
    case Kind::lognormal:
      return median == o.median && sigma == o.sigma;
    case Kind::exponential:
      return mean == o.mean;
  }
  return false;
}

const char* to_string(ClientsSpec::Mode m) {
  return m == ClientsSpec::Mode::open ? "open" : "closed";
}

}  // namespace knhk::scenarios
