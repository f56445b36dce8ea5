// A hint to the kernel about how a long, write-once buffer should be backed.
#pragma once

#include <cstddef>

namespace knhk::sim {

// Asks that the not-yet-touched pages of [data, data + bytes) be given 4 KiB pages rather
// than 2 MiB ones. The run record's long vectors are appended to once and read at the
// end, so huge pages buy them no TLB reach, while each fresh 2 MiB page costs the whole
// page's zeroing (and, in a VM, the host's backing) at its first write: a 4.3 ms stall
// per page where this machine's 4 KiB pages take 1.3 µs each (docs/performance.md,
// "Eighth round"). Only the page-aligned interior is advised, so neighbouring heap
// blocks are untouched. A no-op where madvise is unavailable; a failure is ignored
// (it is only advice).
void prefer_small_pages(const void* data, std::size_t bytes);

}  // namespace knhk::sim
