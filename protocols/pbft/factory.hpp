#pragma once

#include <memory>

#include "protocols/factory.hpp"

namespace knhk::pbft {

std::unique_ptr<Replica> make_replica(const ReplicaSetup& setup);

}  // namespace knhk::pbft
