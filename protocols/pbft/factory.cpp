#include "protocols/pbft/factory.hpp"

#include "protocols/pbft/replica.hpp"

namespace knhk::pbft {

std::unique_ptr<PbftReplica> make_pbft_replica(const ReplicaSetup& setup) {
  auto config = make_config(setup.params);
  auto sm = std::make_unique<smr::StateMachine>(
      smr::make_application(setup.params.app, setup.params.keys), setup.params.snapshot_interval);
  return std::make_unique<PbftReplica>(config, setup.id, setup.signer, setup.verifier,
                                       std::move(sm));
}

std::unique_ptr<Replica> make_replica(const ReplicaSetup& setup) {
  return make_pbft_replica(setup);
}

}  // namespace knhk::pbft
