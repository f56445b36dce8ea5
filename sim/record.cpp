#include "sim/record.hpp"

namespace knhk::sim {

std::vector<const CommitRecord*> RunRecord::commits_of(NodeId n) const {
  std::vector<const CommitRecord*> out;
  for (const auto& c : commits)
    if (c.node == n) out.push_back(&c);
  return out;
}

std::size_t RunRecord::completed_operations() const {
  std::size_t done = 0;
  for (const auto& op : operations) done += op.completed.has_value();
  return done;
}

}  // namespace knhk::sim
