#include "net/replay_window.hpp"

namespace knhk::net {

bool ReplayWindow::fresh(std::uint64_t id) const {
  if (!any_ || id > highest_) return true;
  if (highest_ - id >= kWidth) return false;  // too old to tell: refuse
  return !seen_[id % kWidth];
}

void ReplayWindow::mark(std::uint64_t id) {
  if (!any_ || id > highest_) {
    // Ids between the old newest and `id` enter the window unseen.
    if (!any_ || id - highest_ >= kWidth) {
      seen_.reset();
    } else {
      for (std::uint64_t k = highest_ + 1; k < id; ++k) seen_.reset(k % kWidth);
    }
    highest_ = id;
    any_ = true;
  } else if (highest_ - id >= kWidth) {
    return;
  }
  seen_.set(id % kWidth);
}

bool ReplayGuard::fresh(Principal sender, std::uint64_t id) const {
  auto it = windows_.find(sender);
  return it == windows_.end() || it->second.fresh(id);
}

}  // namespace knhk::net
