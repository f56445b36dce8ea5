#include "protocols/hotstuff/factory.hpp"

#include "protocols/hotstuff/replica.hpp"

namespace knhk::hotstuff {

std::unique_ptr<Replica> make_replica(const ReplicaSetup& setup) {
  return std::make_unique<HotStuffReplica>(setup, HotStuffConfig::from(setup.params));
}

}  // namespace knhk::hotstuff
