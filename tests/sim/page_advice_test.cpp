#include "sim/page_advice.hpp"

#include <sys/mman.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace {

// The VmFlags line of the /proc/self/smaps mapping that holds `address`, or "" if none.
std::string vm_flags_at(const void* address) {
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

}  // namespace

TEST_CASE("page advice: a buffer asked for small pages is marked no-huge-page, its neighbours not",
          "[sim]") {
  constexpr std::size_t kBytes = 8u << 20;
  void* raw = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(raw != MAP_FAILED);
  auto* base = static_cast<char*>(raw);
  REQUIRE(vm_flags_at(base + kBytes / 2).find(" nh") == std::string::npos);

  // An unaligned interval: only whole pages inside it are advised.
  knhk::sim::prefer_small_pages(base + 100, kBytes / 2);
  CHECK(vm_flags_at(base).find(" nh") == std::string::npos);  // the partial first page
  CHECK(vm_flags_at(base + 4096).find(" nh") != std::string::npos);
  CHECK(vm_flags_at(base + kBytes / 2 - 4096).find(" nh") != std::string::npos);
  CHECK(vm_flags_at(base + kBytes - 1).find(" nh") == std::string::npos);

  // Degenerate intervals are ignored.
  knhk::sim::prefer_small_pages(nullptr, kBytes);
  knhk::sim::prefer_small_pages(base + 10, 100);
  munmap(raw, kBytes);
}
