#include "faults/schedule.hpp"

#include <cstdio>
#include <stdexcept>

namespace knhk::faults {
namespace {

std::string prob(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", p);
  return buf;
}

std::string ref(const NodeRef& r) {
  return r.any ? "*" : std::to_string(r.id);
}

std::string groups_text(const std::vector<Group>& groups) {
  std::string s;
  for (const auto& g : groups) {
    if (!s.empty()) s += ' ';
    s += '[';
    for (std::size_t i = 0; i < g.size(); ++i) {
      if (i > 0) s += ',';
      s += std::to_string(g[i]);
    }
    s += ']';
  }
  return s;
}

sim::EndpointMatch endpoint(const NodeRef& r) {
  return r.any ? sim::EndpointMatch::any() : sim::EndpointMatch::replica(NodeId(r.id));
}

std::vector<std::vector<NodeId>> node_groups(const std::vector<Group>& groups) {
  std::vector<std::vector<NodeId>> out;
  for (const auto& g : groups) {
    out.emplace_back();
    for (auto id : g) out.back().push_back(NodeId(id));
  }
  return out;
}

// Applies one fault now; returns the action that reverts it (empty when there is none).
struct Applier {
  sim::Simulation& sim;
  const ByzantineControls& controls;
  std::string label;

  std::function<void()> operator()(const PartitionFault& p) {
    if (p.asymmetric()) {
      for (auto a : p.from)
        for (auto b : p.to) sim.network().block(NodeId(a), NodeId(b));
      return [&net = sim.network(), p] {
        for (auto a : p.from)
          for (auto b : p.to) net.unblock(NodeId(a), NodeId(b));
      };
    }
    sim.network().set_partition(node_groups(p.groups));
    return [&net = sim.network()] { net.set_partition({}); };
  }
  std::function<void()> operator()(const HealFault&) {
    sim.network().heal();
    return {};
  }
  std::function<void()> link_fault(const NodeRef& from, const NodeRef& to, Duration extra,
                                   double drop, double duplicate) {
    sim::LinkFault f{endpoint(from), endpoint(to), extra, drop, duplicate, label};
    auto handle = sim.network().add_link_fault(std::move(f));
    return [&net = sim.network(), handle] { net.remove_link_fault(handle); };
  }
  std::function<void()> operator()(const DelayFault& d) {
    return link_fault(d.from, d.to, d.extra, 0.0, 0.0);
  }
  std::function<void()> operator()(const DropFault& d) {
    return link_fault(d.from, d.to, Duration{}, d.probability, 0.0);
  }
  std::function<void()> operator()(const DuplicateFault& d) {
    return link_fault(d.from, d.to, Duration{}, 0.0, d.probability);
  }
  std::function<void()> operator()(const CrashFault& c) {
    sim.crash(NodeId(c.node));
    return [&s = sim, n = NodeId(c.node)] { s.restart(n); };
  }
  std::function<void()> operator()(const RestartFault& r) {
    sim.restart(NodeId(r.node));
    return {};
  }
  std::function<void()> operator()(const ClockSkewFault& c) {
    Duration before = sim.network().clock_skew(NodeId(c.node));
    sim.network().set_clock_skew(NodeId(c.node), c.offset);
    return [&net = sim.network(), n = NodeId(c.node), before] { net.set_clock_skew(n, before); };
  }
  std::function<void()> operator()(const ByzantineFault& b) {
    auto control = controls.at(NodeId(b.node));
    control->activate(b);
    sim.mark_faulty(NodeId(b.node), std::string("byzantine: ") + to_string(b.behavior));
    return [control] { control->deactivate(); };
  }
};

std::optional<NodeId> subject(const FaultAction& a) {
  if (auto* c = std::get_if<CrashFault>(&a)) return NodeId(c->node);
  if (auto* r = std::get_if<RestartFault>(&a)) return NodeId(r->node);
  if (auto* k = std::get_if<ClockSkewFault>(&a)) return NodeId(k->node);
  if (auto* b = std::get_if<ByzantineFault>(&a)) return NodeId(b->node);
  return std::nullopt;
}

}  // namespace

std::string describe(const FaultSpec& f) {
  struct Text {
    std::string operator()(const PartitionFault& p) const {
      if (p.asymmetric()) return "partition " + groups_text({p.from}) + "->" + groups_text({p.to});
      return "partition " + groups_text(p.groups);
    }
    std::string operator()(const HealFault&) const { return "heal"; }
    std::string operator()(const DelayFault& d) const {
      return "delay " + ref(d.from) + "->" + ref(d.to) + " +" + to_string(d.extra);
    }
    std::string operator()(const DropFault& d) const {
      return "drop " + ref(d.from) + "->" + ref(d.to) + " p=" + prob(d.probability);
    }
    std::string operator()(const DuplicateFault& d) const {
      return "duplicate " + ref(d.from) + "->" + ref(d.to) + " p=" + prob(d.probability);
    }
    std::string operator()(const CrashFault& c) const { return "crash " + std::to_string(c.node); }
    std::string operator()(const RestartFault& r) const {
      return "restart " + std::to_string(r.node);
    }
    std::string operator()(const ClockSkewFault& c) const {
      return "clock_skew " + std::to_string(c.node) + " " + to_string(c.offset);
    }
    std::string operator()(const ByzantineFault& b) const {
      return "byzantine " + std::to_string(b.node) + " " + to_string(b.behavior);
    }
  };
  return std::visit(Text{}, f.action);
}

void install_schedule(sim::Simulation& sim, const std::vector<FaultSpec>& faults,
                      const ByzantineControls& controls) {
  for (const FaultSpec& f : faults) {
    auto label = std::make_shared<std::string>(describe(f));
    auto revert = std::make_shared<std::function<void()>>();
    auto node = subject(f.action);
    sim.schedule(Time{} + f.at, [&sim, &controls, f, label, revert, node] {
      sim.trace_fault(*label, node, "apply");
      *revert = std::visit(Applier{sim, controls, *label}, f.action);
    });
    if (f.until)
      sim.schedule(Time{} + *f.until, [&sim, label, revert, node] {
        sim.trace_fault(*label, node, "revert");
        if (*revert) (*revert)();
      });
  }
}

}  // namespace knhk::faults
