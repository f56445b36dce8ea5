#include "protocols/common/types.hpp"

#include <cstdio>

namespace knhk {

std::string to_string(Duration d) {
  char buf[64];
  const std::int64_t ns = d.ns;
  if (ns % 1000000000 == 0) {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(ns / 1000000000));
  } else if (ns % 1000000 == 0) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ns / 1000000));
  } else if (ns % 1000 == 0) {
    std::snprintf(buf, sizeof buf, "%lldus", static_cast<long long>(ns / 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
  }
  return buf;
}

}  // namespace knhk
