#include "protocols/factory.hpp"

#include "protocols/hotstuff/factory.hpp"
#include "protocols/pbft/factory.hpp"

namespace knhk {

std::unique_ptr<Replica> make_replica(const ReplicaSetup& setup) {
  switch (setup.params.kind) {
    case ProtocolKind::pbft:
      return pbft::make_replica(setup);
    case ProtocolKind::hotstuff:
      return hotstuff::make_replica(setup);
  }
  return nullptr;
}

}  // namespace knhk
