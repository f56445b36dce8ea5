// PLACEHOLDER: replaced by the real pbft replica.
#include "protocols/pbft/factory.hpp"

#include <stdexcept>

namespace knhk::pbft {

std::unique_ptr<Replica> make_replica(const ReplicaSetup&) {
  throw std::logic_error("pbft replica not implemented yet");
}

}  // namespace knhk::pbft
