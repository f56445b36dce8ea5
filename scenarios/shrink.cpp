#include "scenarios/shrink.hpp"

#include <algorithm>

namespace knhk::scenarios {
namespace {

std::uint32_t max_node_referenced(const Scenario& s) {
  std::uint32_t top = 0;
  auto ref = [&](const NodeRef& r) {
    if (!r.any) top = std::max(top, r.id);
  };
  auto group = [&](const Group& g) {
    for (auto id : g) top = std::max(top, id);
  };
  for (const auto& f : s.faults) {
    std::visit(
        [&](const auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, PartitionFault>) {
            for (const auto& g : a.groups) group(g);
            group(a.from);
            group(a.to);
          } else if constexpr (std::is_same_v<T, DelayFault> || std::is_same_v<T, DropFault> ||
                               std::is_same_v<T, DuplicateFault>) {
            ref(a.from);
            ref(a.to);
          } else if constexpr (std::is_same_v<T, ByzantineFault>) {
            top = std::max(top, a.node);
            for (const auto& g : a.split) group(g);
          } else if constexpr (!std::is_same_v<T, HealFault>) {
            top = std::max(top, a.node);
          }
        },
        f.action);
  }
  for (const auto& l : s.network.links) {
    ref(l.from);
    ref(l.to);
  }
  return top;
}

void add_fault_removals(const Scenario& s, std::vector<Scenario>& out) {
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    Scenario c = s;
    c.faults.erase(c.faults.begin() + static_cast<std::ptrdiff_t>(i));
    out.push_back(std::move(c));
  }
}

void add_duration_cuts(const Scenario& s, std::vector<Scenario>& out) {
  Duration last_fault{};
  for (const auto& f : s.faults) last_fault = std::max(last_fault, f.until.value_or(f.at));
  for (auto frac : {2, 3}) {  // halve, then cut a third
    Duration d = s.duration - s.duration * 1 / frac;
    d = Duration::millis_(std::max<std::int64_t>(d.ns / 1000000, 200));
    if (d >= s.duration || d <= last_fault) continue;
    Scenario c = s;
    c.duration = d;
    if (c.clients.stop_at && *c.clients.stop_at > d) c.clients.stop_at = d * 3 / 4;
    out.push_back(std::move(c));
  }
}

void add_client_simplifications(const Scenario& s, std::vector<Scenario>& out) {
  if (s.clients.count > 1) {
    Scenario c = s;
    c.clients.count = 1;
    out.push_back(c);
    c = s;
    c.clients.count -= 1;
    out.push_back(std::move(c));
  }
  if (s.clients.outstanding > 1) {
    Scenario c = s;
    c.clients.outstanding = 1;
    out.push_back(std::move(c));
  }
  if (s.clients.keys > 1) {
    Scenario c = s;
    c.clients.keys = 1;
    out.push_back(std::move(c));
  }
}

void add_network_simplifications(const Scenario& s, std::vector<Scenario>& out) {
  const NetworkSpec plain;
  if (s.network.drop > 0 || s.network.duplicate > 0) {
    Scenario c = s;
    c.network.drop = 0;
    c.network.duplicate = 0;
    out.push_back(std::move(c));
  }
  if (!(s.network.latency == plain.latency)) {
    Scenario c = s;
    c.network.latency = LatencyDist::constant(Duration::millis_(5));
    out.push_back(std::move(c));
  }
  if (!s.network.links.empty()) {
    Scenario c = s;
    c.network.links.clear();
    out.push_back(std::move(c));
  }
  // Without GST the base loss never stops: dropping GST is only a simplification once
  // the network has no base loss or duplication left.
  if (s.network.gst && s.network.gst->ns > 0 && s.network.drop == 0 && s.network.duplicate == 0) {
    Scenario c = s;
    c.network.gst.reset();
    out.push_back(std::move(c));
  }
}

void add_protocol_simplifications(const Scenario& s, std::vector<Scenario>& out) {
  std::uint32_t min_nodes = std::max<std::uint32_t>(4, max_node_referenced(s) + 1);
  if (s.protocol.nodes > min_nodes) {
    Scenario c = s;
    c.protocol.nodes = min_nodes;
    out.push_back(c);
    c = s;
    c.protocol.nodes -= 1;
    out.push_back(std::move(c));
  }
  if (s.protocol.batch_size > 1) {
    Scenario c = s;
    c.protocol.batch_size = 1;
    out.push_back(std::move(c));
  }
}

void add_fault_simplifications(const Scenario& s, std::vector<Scenario>& out) {
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    if (auto* b = std::get_if<ByzantineFault>(&s.faults[i].action); b && !b->split.empty()) {
      Scenario c = s;
      std::get<ByzantineFault>(c.faults[i].action).split.clear();
      out.push_back(std::move(c));
    }
  }
}

// Nodes outside the largest group of a symmetric partition (ties: the lowest ids stay).
void add_partitioned(const Scenario& s, const PartitionFault& p, std::set<std::uint32_t>& out) {
  if (p.asymmetric()) {
    out.insert(p.from.begin(), p.from.end());
    return;
  }
  std::vector<Group> groups = p.groups;
  Group rest;
  for (std::uint32_t n = 0; n < s.protocol.nodes; ++n) {
    bool listed = false;
    for (const auto& g : groups) listed |= std::find(g.begin(), g.end(), n) != g.end();
    if (!listed) rest.push_back(n);
  }
  if (!rest.empty()) groups.push_back(rest);
  auto largest = std::max_element(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    return a.size() < b.size();
  });
  for (auto g = groups.begin(); g != groups.end(); ++g)
    if (g != largest) out.insert(g->begin(), g->end());
}

}  // namespace

std::set<std::uint32_t> impaired_at_end(const Scenario& s) {
  std::set<std::uint32_t> crashed, byzantine, partitioned;
  for (const auto& f : s.faults) {  // sorted by `at`
    if (auto* c = std::get_if<CrashFault>(&f.action)) crashed.insert(c->node);
    if (auto* r = std::get_if<RestartFault>(&f.action)) crashed.erase(r->node);
    if (auto* b = std::get_if<ByzantineFault>(&f.action); b && !f.until) byzantine.insert(b->node);
    if (auto* p = std::get_if<PartitionFault>(&f.action); p && !f.until) {
      partitioned.clear();  // a new partition replaces the previous one
      add_partitioned(s, *p, partitioned);
    }
    if (std::holds_alternative<HealFault>(f.action)) partitioned.clear();
  }
  std::set<std::uint32_t> out = crashed;
  out.insert(byzantine.begin(), byzantine.end());
  out.insert(partitioned.begin(), partitioned.end());
  return out;
}

std::vector<Scenario> shrink_candidates(const Scenario& s) {
  std::vector<Scenario> out;
  add_fault_removals(s, out);
  add_duration_cuts(s, out);
  add_protocol_simplifications(s, out);
  add_client_simplifications(s, out);
  add_network_simplifications(s, out);
  add_fault_simplifications(s, out);
  return out;
}

ShrinkResult shrink_scenario(const Scenario& failing, const StillFails& still_fails,
                             std::uint32_t max_attempts) {
  ShrinkResult result{failing, 0, 0};
  const std::size_t impaired_budget = impaired_at_end(failing).size();
  bool progress = true;
  while (progress && result.attempts < max_attempts) {
    progress = false;
    for (auto& candidate : shrink_candidates(result.scenario)) {
      if (result.attempts >= max_attempts) break;
      if (impaired_at_end(candidate).size() > impaired_budget) continue;
      ++result.attempts;
      if (still_fails(candidate)) {
        result.scenario = std::move(candidate);
        ++result.accepted;
        progress = true;
        break;  // restart from the most aggressive simplification of the new scenario
      }
    }
  }
  if (result.scenario.name.find("-shrunk") == std::string::npos) result.scenario.name += "-shrunk";
  return result;
}

}  // namespace knhk::scenarios
