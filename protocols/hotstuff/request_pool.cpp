#include "protocols/hotstuff/request_pool.hpp"

namespace knhk::hotstuff {

RequestPool::Added RequestPool::add(std::shared_ptr<const Request> r, Time arrived) {
  const RequestKey k = key_of(*r);
  if (by_key_.count(k)) return Added::duplicate;
  if (by_key_.size() >= capacity_) return Added::full;
  const std::uint64_t arrival = next_arrival_++;
  by_key_.emplace(k, Slot{arrival, arrived, std::move(r)});
  by_arrival_.emplace(arrival, k);
  return Added::added;
}

void RequestPool::remove(const RequestKey& k) {
  auto it = by_key_.find(k);
  if (it == by_key_.end()) return;
  by_arrival_.erase(it->second.arrival);
  by_key_.erase(it);
}

bool RequestPool::holds(const Request& r) const {
  auto it = by_key_.find(key_of(r));
  return it != by_key_.end() && *it->second.request == r;
}

std::vector<Request> RequestPool::select(std::size_t max,
                                         const std::function<bool(const RequestKey&)>& skip,
                                         Time* oldest) const {
  std::vector<Request> out;
  for (const auto& [arrival, k] : by_arrival_) {
    if (out.size() >= max) break;
    if (skip(k)) continue;
    const Slot& slot = by_key_.at(k);
    if (out.empty() && oldest) *oldest = slot.arrived;
    out.push_back(*slot.request);
  }
  return out;
}

}  // namespace knhk::hotstuff
