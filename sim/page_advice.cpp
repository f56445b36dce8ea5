#include "sim/page_advice.hpp"

#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace knhk::sim {

void prefer_small_pages(const void* data, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_NOHUGEPAGE)
  if (data == nullptr || bytes == 0) return;
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + page - 1) / page * page;
  const std::uintptr_t last = (begin + bytes) / page * page;
  if (first >= last) return;
  (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_NOHUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace knhk::sim
