// PLACEHOLDER: replaced by the real hotstuff replica.
#include "protocols/hotstuff/factory.hpp"

#include <stdexcept>

namespace knhk::hotstuff {

std::unique_ptr<Replica> make_replica(const ReplicaSetup&) {
  throw std::logic_error("hotstuff replica not implemented yet");
}

}  // namespace knhk::hotstuff
