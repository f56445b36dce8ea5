#include "faults/schedule.hpp"

namespace knhk::faults {

ByzantineControls make_byzantine_controls(const std::vector<FaultSpec>& faults, std::uint32_t nodes,
                                          std::uint64_t seed) {
  ByzantineControls controls;
  std::map<NodeId, std::optional<std::vector<Group>>> twin_split;
  for (const auto& f : faults) {
    auto* b = std::get_if<ByzantineFault>(&f.action);
    if (!b) continue;
    auto& split = twin_split[NodeId(b->node)];
    if (b->behavior == Behavior::twin && !split) split = b->split;  // the first twin fault's sides
  }
  auto tags = std::make_shared<TwinTags>();       // one per run: twins of different nodes pair up
  auto forks = std::make_shared<ForkRegistry>();  // one per run: Byzantine nodes collude
  for (auto& [node, split] : twin_split)
    controls[node] = std::make_shared<ByzantineControl>(node, nodes, seed, split, tags, forks);
  return controls;
}

sim::ReplicaFactory byzantine_factory(sim::ReplicaFactory base, ByzantineControls controls) {
  return [base = std::move(base),
          controls = std::move(controls)](const ReplicaSetup& setup) -> std::unique_ptr<Replica> {
    auto it = controls.find(setup.id);
    if (it == controls.end()) return base(setup);
    return std::make_unique<ByzantineReplica>(setup, base, it->second);
  };
}

}  // namespace knhk::faults
