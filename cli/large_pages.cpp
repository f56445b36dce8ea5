#include "cli/large_pages.hpp"

#include <cstdlib>
#include <exception>
#include <thread>

#ifdef KNHK_HAVE_MIMALLOC
#include <mimalloc.h>
#endif

namespace knhk::cli {

int run_on_large_pages(const std::function<int()>& work) {
#ifdef KNHK_HAVE_MIMALLOC
  if (std::getenv("MIMALLOC_LARGE_OS_PAGES") == nullptr) {
    mi_option_set(mi_option_large_os_pages, 1);
    // With the default delay of one segment, the new thread's first segment would be
    // committed lazily, in small pieces, and never be backed by huge pages.
    if (std::getenv("MIMALLOC_EAGER_COMMIT_DELAY") == nullptr)
      mi_option_set(mi_option_eager_commit_delay, 0);
    int result = 0;
    std::exception_ptr error;
    std::thread worker([&] {
      try {
        result = work();
      } catch (...) {
        error = std::current_exception();
      }
    });
    worker.join();
    if (error) std::rethrow_exception(error);
    return result;
  }
#endif
  return work();
}

}  // namespace knhk::cli
