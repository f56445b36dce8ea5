// Puts the heap on 2 MiB pages.
//
// A simulation touches ~100 MB of heap in a scattered way (messages in flight, each
// replica's log and client tables, the event queue). On 4 KiB pages most of those touches
// miss the TLB, and in a virtual machine each miss is a two-level page walk: with the heap
// on transparent huge pages 20 simulated seconds of the PBFT benchmark run 8–14% faster
// (60 s: 0–10%, as the growing heap's fresh pages cost more; docs/performance.md).
//
// mimalloc does this with its `large_os_pages` option and eagerly committed segments, but it
// reads its options from the environment when the process loads, and gives the main thread
// its first 32 MiB segment — where most hot small objects then live — before main() runs.
// Setting the options from main() misses that segment, and running the work on a new thread
// (whose first segment would be made with them) makes every shared_ptr count atomic, which
// cost as much as the pages gained. So the program re-executes itself once, with the
// options in its environment:
//   MIMALLOC_LARGE_OS_PAGES=1       2 MiB pages (transparent huge pages, madvise)
//   MIMALLOC_EAGER_COMMIT_DELAY=0   the first segment too
//   MIMALLOC_RESERVE_OS_MEMORY=1GiB segments come from one reserved arena, and with
//   MIMALLOC_ALLOW_DECOMMIT=0       freed segments keep their pages for the next ones (a fresh
//                                   huge page is zeroed by the kernel and, in a VM, first
//                                   backed by the host: ~25x the cost of reusing one)
// Nothing happens when the build has no mimalloc (sanitizers), when MIMALLOC_LARGE_OS_PAGES
// is already set (0 turns all this off; the other variables the user set are kept), or
// under valgrind, which replaces the allocator and would lose the re-executed program.
#pragma once

#include <string>

namespace knhk::cli {

// Call first thing in main(). Returns only if it did not re-execute.
void use_large_pages(char** argv);

// What allocates: "mimalloc, 2 MiB pages", "mimalloc, 4 KiB pages" or the C library's.
std::string allocator_description();

}  // namespace knhk::cli
