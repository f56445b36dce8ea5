#include "faults/spec.hpp"

namespace knhk::faults {

const std::vector<Behavior>& all_behaviors() {
  static const std::vector<Behavior> all = {Behavior::silent,
                                            Behavior::equivocate,
                                            Behavior::conflicting_votes,
                                            Behavior::invalid_signature,
                                            Behavior::corrupt_digest,
                                            Behavior::replay,
                                            Behavior::withhold_votes,
                                            Behavior::mutate,
                                            Behavior::twin};
  return all;
}

const char* to_string(Behavior b) {
  switch (b) {
    case Behavior::silent:
      return "silent";
    case Behavior::equivocate:
      return "equivocate";
    case Behavior::conflicting_votes:
      return "conflicting_votes";
    case Behavior::invalid_signature:
      return "invalid_signature";
    case Behavior::corrupt_digest:
      return "corrupt_digest";
    case Behavior::replay:
      return "replay";
    case Behavior::withhold_votes:
      return "withhold_votes";
    case Behavior::mutate:
      return "mutate";
    case Behavior::twin:
      return "twin";
  }
  return "?";
}

std::optional<Behavior> behavior_from_string(const std::string& s) {
  for (Behavior b : all_behaviors())
    if (s == to_string(b)) return b;
  return std::nullopt;
}

const char* fault_kind_name(const FaultAction& a) {
  static const char* names[] = {"partition", "heal",    "delay",      "drop",     "duplicate",
                                "crash",     "restart", "clock_skew", "byzantine"};
  return names[a.index()];
}

}  // namespace knhk::faults
