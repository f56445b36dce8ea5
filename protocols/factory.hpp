// Builds a replica of the configured protocol. The one place that knows every protocol.
#pragma once

#include <memory>

#include "protocols/common/crypto.hpp"
#include "protocols/common/host.hpp"
#include "protocols/common/params.hpp"

namespace knhk {

struct ReplicaSetup {
  ProtocolParams params;
  NodeId id;
  std::shared_ptr<const Signer> signer;
  std::shared_ptr<const Verifier> verifier;
};

// Throws InvalidValidatorSetError for an unusable configuration.
std::unique_ptr<Replica> make_replica(const ReplicaSetup& setup);

}  // namespace knhk
