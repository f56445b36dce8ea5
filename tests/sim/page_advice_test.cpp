#include "sim/page_advice.hpp"

#include <sys/mman.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/smaps.hpp"

using knhk::testing::advised_small_pages;

TEST_CASE("page advice: a buffer asked for small pages is marked no-huge-page, its neighbours not",
          "[sim]") {
  constexpr std::size_t kBytes = 8u << 20;
  void* raw = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(raw != MAP_FAILED);
  auto* base = static_cast<char*>(raw);
  REQUIRE_FALSE(advised_small_pages(base + kBytes / 2));

  // An unaligned interval: only whole pages inside it are advised.
  knhk::sim::prefer_small_pages(base + 100, kBytes / 2);
  CHECK_FALSE(advised_small_pages(base));  // the partial first page
  CHECK(advised_small_pages(base + 4096));
  CHECK(advised_small_pages(base + kBytes / 2 - 4096));
  CHECK_FALSE(advised_small_pages(base + kBytes - 1));

  // Degenerate intervals are ignored.
  knhk::sim::prefer_small_pages(nullptr, kBytes);
  knhk::sim::prefer_small_pages(base + 10, 100);
  CHECK_FALSE(advised_small_pages(base));  // no whole page inside [10, 110)
  munmap(raw, kBytes);
}
