// How the kernel maps a given address: the VmFlags line of its /proc/self/smaps entry, for
// tests of page advice (" nh": no huge pages; " hg": huge pages advised).
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace knhk::testing {

// The VmFlags line of the mapping that holds `address`, or "" if none (or no /proc).
inline std::string vm_flags_at(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= at && at < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

// Whether the page holding `address` is advised against huge pages.
inline bool advised_small_pages(const void* address) {
  return vm_flags_at(address).find(" nh") != std::string::npos;
}

}  // namespace knhk::testing
