// Replaces the global operator new/delete of the common test binary (only this binary)
// with malloc/free plus counters that are read while an AllocTracking scope is alive.
// AddressSanitizer brings its own operator new/delete; replacing them there mixes
// allocators, so under ASan nothing is replaced or counted (the release build checks).
#include "tests/common/alloc_tracker.hpp"

#include <cstdlib>
#include <new>

namespace {
bool g_tracking = false;
knhk::testing::AllocStats g_stats;

[[maybe_unused]] void* counted_alloc(std::size_t n) {
  if (g_tracking) {
    g_stats.total += n;
    if (n > g_stats.largest) g_stats.largest = n;
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

namespace knhk::testing {
AllocTracking::AllocTracking() {
  g_stats = {};
  g_tracking = true;
}
AllocTracking::~AllocTracking() {
  g_tracking = false;
}
AllocStats AllocTracking::stats() const {
  return g_stats;
}
}  // namespace knhk::testing

#if defined(__SANITIZE_ADDRESS__)
bool knhk::testing::alloc_tracking_supported() {
  return false;
}
#else
bool knhk::testing::alloc_tracking_supported() {
  return true;
}

void* operator new(std::size_t n) {
  return counted_alloc(n);
}
void* operator new[](std::size_t n) {
  return counted_alloc(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
#endif
