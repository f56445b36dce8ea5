#include "protocols/common/errors.hpp"

#include "protocols/common/params.hpp"

namespace knhk {

const char* to_string(ProtocolKind k) {
  return k == ProtocolKind::pbft ? "pbft" : "hotstuff";
}

const char* to_string(AppKind k) {
  switch (k) {
    case AppKind::kv:
      return "kv";
    case AppKind::bank:
      return "bank";
    case AppKind::noop:
      return "noop";
  }
  return "?";
}

const char* to_string(BugVariant b) {
  switch (b) {
    case BugVariant::none:
      return "none";
    case BugVariant::small_quorum:
      return "small_quorum";
    case BugVariant::ignore_lock:
      return "ignore_lock";
    case BugVariant::drop_prepared_certificates:
      return "drop_prepared_certificates";
    case BugVariant::execute_before_commit:
      return "execute_before_commit";
    case BugVariant::gc_uncommitted:
      return "gc_uncommitted";
  }
  return "?";
}

namespace {
struct Describe {
  std::string operator()(const QuorumNotReached& e) const {
    return "QuorumNotReached{have=" + std::to_string(e.have) + ", need=" + std::to_string(e.need) +
           "}";
  }
  std::string operator()(const InvalidSignature& e) const {
    return "InvalidSignature{from=" + std::to_string(e.from.value) + "}";
  }
  std::string operator()(const StateMismatch& e) const {
    return "StateMismatch{expected=" + e.expected.short_hex() + ", actual=" + e.actual.short_hex() +
           "}";
  }
  std::string operator()(const ByzantineNodeDetected& e) const {
    return "ByzantineNodeDetected{node=" + std::to_string(e.node.value) + ", " + e.evidence + "}";
  }
  std::string operator()(const ViewSyncTimeout& e) const {
    return "ViewSyncTimeout{view=" + std::to_string(e.view.value) + "}";
  }
  std::string operator()(const InvalidValidatorSet& e) const {
    return "InvalidValidatorSet{" + e.reason + "}";
  }
};
}  // namespace

std::string describe(const ConsensusError& e) {
  return std::visit(Describe{}, e);
}

}  // namespace knhk
