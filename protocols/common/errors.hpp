// The consensus error cases as types, each with the recovery the design assigns it.
#pragma once

#include <stdexcept>
#include <string>
#include <variant>

#include "protocols/common/digest.hpp"
#include "protocols/common/types.hpp"

namespace knhk {

struct QuorumNotReached {  // recovery: wait, then view change
  std::uint32_t have = 0;
  std::uint32_t need = 0;
};
struct InvalidSignature {  // recovery: drop the message, mark the peer
  NodeId from;
};
struct StateMismatch {  // recovery: roll back to the last good snapshot, transfer state
  Digest expected;
  Digest actual;
};
struct ByzantineNodeDetected {  // recovery: remove the node from the validator set
  NodeId node;
  std::string evidence;
};
struct ViewSyncTimeout {  // recovery: move to the next view
  View view;
};
struct InvalidValidatorSet {  // recovery: none; the configuration is unusable
  std::string reason;
};

using ConsensusError = std::variant<QuorumNotReached, InvalidSignature, StateMismatch,
                                    ByzantineNodeDetected, ViewSyncTimeout, InvalidValidatorSet>;

std::string describe(const ConsensusError& e);

// Thrown by protocol configuration constructors (a caller error, caught at the CLI boundary).
struct InvalidValidatorSetError : std::invalid_argument {
  explicit InvalidValidatorSetError(const std::string& reason)
      : std::invalid_argument("InvalidValidatorSet: " + reason) {}
};

}  // namespace knhk
