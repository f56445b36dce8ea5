// Runs a command with the heap on 2 MiB pages.
//
// A simulation touches ~100 MB of heap in a scattered way (messages in flight, each
// replica's log and client tables, the event queue). On 4 KiB pages most of those touches
// miss the TLB, and in a virtual machine each miss is a two-level page walk: backing the
// heap with transparent huge pages made the PBFT benchmark ~13% faster (docs/performance.md).
//
// mimalloc does this when its `large_os_pages` option is on and the segment is committed
// eagerly, but it reads its options from the environment when the process loads and gives
// the main thread its first 32 MiB segment before main() runs — the segment that then holds
// most of the hot small objects. So the options are set here and `work` runs on a new
// thread, whose first segment is made with them. Without mimalloc (sanitizer builds), or
// when the user set MIMALLOC_LARGE_OS_PAGES (0 turns this off), `work` runs directly.
#pragma once

#include <functional>

namespace knhk::cli {

// Returns work()'s result; an exception thrown by `work` is rethrown on the calling thread.
int run_on_large_pages(const std::function<int()>& work);

}  // namespace knhk::cli
