#include "cli/large_pages.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#ifdef KNHK_HAVE_MIMALLOC
#include <mimalloc.h>
#endif

namespace knhk::cli {
#ifdef KNHK_HAVE_MIMALLOC
namespace {

struct Setting {
  const char* name;
  const char* value;
};
constexpr Setting kSettings[] = {
    {"MIMALLOC_LARGE_OS_PAGES", "1"},
    {"MIMALLOC_EAGER_COMMIT_DELAY", "0"},
    {"MIMALLOC_RESERVE_OS_MEMORY", "1GiB"},
    {"MIMALLOC_ALLOW_DECOMMIT", "0"},
};

bool under_valgrind() {
  const char* preload = std::getenv("LD_PRELOAD");
  return preload != nullptr && std::strstr(preload, "vgpreload") != nullptr;
}

}  // namespace
#endif

void use_large_pages(char** argv) {
#ifdef KNHK_HAVE_MIMALLOC
  // The first variable also marks the re-executed process, which returns here.
  if (std::getenv(kSettings[0].name) != nullptr || under_valgrind()) return;
  for (const Setting& s : kSettings) ::setenv(s.name, s.value, /*overwrite=*/0);
  ::execv("/proc/self/exe", argv);
  // No /proc: carry on as we are (the programs this one starts get the settings).
#else
  (void)argv;
#endif
}

std::string allocator_description() {
#ifdef KNHK_HAVE_MIMALLOC
  return mi_option_is_enabled(mi_option_large_os_pages) ? "mimalloc, 2 MiB pages"
                                                        : "mimalloc, 4 KiB pages";
#else
  return "the C library's (a build without mimalloc: sanitizers)";
#endif
}

}  // namespace knhk::cli
