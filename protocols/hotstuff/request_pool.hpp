// Client requests waiting to be proposed, in arrival order. A request stays here
// until the block carrying it commits, so a block abandoned by a view change does
// not lose it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "protocols/common/request.hpp"

namespace knhk::hotstuff {

using RequestKey = std::pair<ClientId, RequestId>;
inline RequestKey key_of(const Request& r) {
  return {r.client, r.id};
}

class RequestPool {
 public:
  explicit RequestPool(std::size_t capacity) : capacity_(capacity) {}

  enum class Added { added, duplicate, full };
  // `arrived`: when the request reached this replica (batch_timeout counts from it).
  Added add(std::shared_ptr<const Request> r, Time arrived);
  void remove(const RequestKey& k);
  // Is exactly this signed request (same signature) waiting here?
  bool holds(const Request& r) const;
  // Up to `max` oldest requests for which `skip` is false; `oldest`, if given, is set
  // to the arrival time of the first one selected.
  std::vector<Request> select(std::size_t max, const std::function<bool(const RequestKey&)>& skip,
                              Time* oldest = nullptr) const;
  bool empty() const { return by_key_.empty(); }
  std::size_t size() const { return by_key_.size(); }

 private:
  struct Slot {
    std::uint64_t arrival;  // order of arrival
    Time arrived;
    std::shared_ptr<const Request> request;
  };
  std::size_t capacity_;
  std::uint64_t next_arrival_ = 0;
  std::map<RequestKey, Slot> by_key_;
  std::map<std::uint64_t, RequestKey> by_arrival_;
};

}  // namespace knhk::hotstuff
