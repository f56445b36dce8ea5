#include "net/replay_window.hpp"

#include <algorithm>

namespace knhk::net {

bool ReplayWindow::fresh(std::uint64_t id) const {
  if (!any_ || id > highest_) return true;
  if (highest_ - id >= kWidth) return false;  // too old to tell: refuse
  return !seen(id);
}

void ReplayWindow::clear_range(std::uint64_t first, std::uint64_t last) {
  while (first <= last) {
    const std::uint64_t word_end = first | 63;  // last id of first's word
    const std::uint64_t end = std::min(word_end, last);
    const std::uint64_t bits = end - first + 1;
    const std::uint64_t mask = bits == 64 ? ~0ull : ((1ull << bits) - 1) << (first % 64);
    seen_[(first / 64) % kWords] &= ~mask;
    if (end == last) break;
    first = end + 1;
  }
}

void ReplayWindow::mark(std::uint64_t id) {
  if (!any_ || id > highest_) {
    // Ids between the old newest and `id` enter the window unseen.
    if (!any_ || id - highest_ >= kWidth) {
      seen_.fill(0);
    } else if (id > highest_ + 1) {
      clear_range(highest_ + 1, id - 1);
    }
    highest_ = id;
    any_ = true;
  } else if (highest_ - id >= kWidth) {
    return;
  }
  seen_[(id / 64) % kWords] |= 1ull << (id % 64);
}

bool ReplayGuard::fresh(Principal sender, std::uint64_t id) const {
  auto it = std::lower_bound(senders_.begin(), senders_.end(), sender);
  if (it == senders_.end() || *it != sender) return true;
  return windows_[static_cast<std::size_t>(it - senders_.begin())].fresh(id);
}

void ReplayGuard::mark(Principal sender, std::uint64_t id) {
  auto it = std::lower_bound(senders_.begin(), senders_.end(), sender);
  const auto index = it - senders_.begin();
  if (it == senders_.end() || *it != sender) {
    senders_.insert(it, sender);
    windows_.insert(windows_.begin() + index, ReplayWindow{});
  }
  windows_[static_cast<std::size_t>(index)].mark(id);
}

}  // namespace knhk::net
