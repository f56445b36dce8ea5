#include <algorithm>
#include <set>

#include "scenarios/sections.hpp"
#include "scenarios/units.hpp"

namespace knhk::scenarios {
namespace {

const std::vector<std::string> kActions = {"partition", "heal",       "delay",
                                           "drop",      "duplicate",  "crash",
                                           "restart",   "clock_skew", "byzantine"};

// Groups must be disjoint; nodes not listed form one more group (the format's rule).
PartitionFault parse_partition(const Source& src, const Field& f, std::uint32_t n) {
  PartitionFault p;
  if (f.node.IsMap()) {  // extension: {from: [..], to: [..]} cuts the links one way only
    MapFields m(src, f, {"from", "to"});
    p.from = as_group(src, m.required("from"), n);
    p.to = as_group(src, m.required("to"), n);
    if (p.from.empty() || p.to.empty()) src.fail(f, "`" + f.path + "` needs nodes on both sides");
    return p;
  }
  if (!f.node.IsSequence())
    src.fail(
        f, "`" + f.path +
               "` must be a list of groups such as [[0], [1, 2, 3]] or {from: [0], to: [1]}, got " +
               describe_node(f.node));
  std::set<std::uint32_t> seen;
  for (const Field& item : as_sequence(src, f)) {
    Group g = as_group(src, item, n);
    for (std::uint32_t id : g)
      if (!seen.insert(id).second)
        src.fail(item, "`" + f.path + "`: node " + std::to_string(id) + " is in two groups");
    p.groups.push_back(std::move(g));
  }
  if (seen.empty()) src.fail(f, "`" + f.path + "` names no node");
  return p;
}

template <class T>
T parse_link_probability(const Source& src, const Field& f, std::uint32_t n) {
  MapFields m(src, f, {"from", "to", "probability"});
  T t;
  t.from = as_node_ref(src, m.required("from"), n);
  t.to = as_node_ref(src, m.required("to"), n);
  t.probability = as_probability(src, m.required("probability"));
  return t;
}

DelayFault parse_delay(const Source& src, const Field& f, std::uint32_t n) {
  MapFields m(src, f, {"from", "to", "extra"});
  DelayFault d;
  d.from = as_node_ref(src, m.required("from"), n);
  d.to = as_node_ref(src, m.required("to"), n);
  d.extra = as_duration(src, m.required("extra"));
  return d;
}

ClockSkewFault parse_clock_skew(const Source& src, const Field& f, std::uint32_t n) {
  MapFields m(src, f, {"node", "offset"});
  ClockSkewFault c;
  c.node = as_node(src, m.required("node"), n);
  c.offset = as_signed_duration(src, m.required("offset"));
  return c;
}

ByzantineFault parse_byzantine(const Source& src, const Field& f, std::uint32_t n) {
  MapFields m(src, f, {"node", "behavior", "split", "p"});
  ByzantineFault b;
  b.node = as_node(src, m.required("node"), n);
  Field bf = m.required("behavior");
  std::string name = as_string(src, bf);
  auto behavior = behavior_from_string(name);
  if (!behavior) {
    std::string list;
    for (Behavior x : all_behaviors())
      list += (list.empty() ? "" : ", ") + std::string(to_string(x));
    src.fail(bf, "`" + bf.path + "` must be one of: " + list + "; got `" + name + "`");
  }
  b.behavior = *behavior;
  if (auto v = m.optional("split")) {
    if (b.behavior != Behavior::equivocate && b.behavior != Behavior::twin)
      src.fail(*v, "`" + v->path + "` applies only to equivocate and twin");
    auto sides = as_sequence(src, *v);
    if (sides.size() != 2)
      src.fail(*v, "`" + v->path + "` must have exactly two sides, e.g. [[0, 1], [2, 3]]");
    for (const Field& side : sides) b.split.push_back(as_group(src, side, n));
  }
  if (auto v = m.optional("p")) {
    if (b.behavior != Behavior::mutate) src.fail(*v, "`" + v->path + "` applies only to mutate");
    b.p = as_probability(src, *v);
  }
  return b;
}

FaultAction parse_action(const Source& src, const std::string& kind, const Field& f,
                         std::uint32_t n) {
  if (kind == "partition") return parse_partition(src, f, n);
  if (kind == "heal") {
    if (!as_bool(src, f)) src.fail(f, "`" + f.path + "` must be true (omit the fault instead)");
    return HealFault{};
  }
  if (kind == "delay") return parse_delay(src, f, n);
  if (kind == "drop") return parse_link_probability<DropFault>(src, f, n);
  if (kind == "duplicate") return parse_link_probability<DuplicateFault>(src, f, n);
  if (kind == "crash") return CrashFault{as_node(src, f, n)};
  if (kind == "restart") return RestartFault{as_node(src, f, n)};
  if (kind == "clock_skew") return parse_clock_skew(src, f, n);
  return parse_byzantine(src, f, n);
}

FaultSpec parse_fault(const Source& src, const Field& f, std::uint32_t n, Duration run) {
  std::vector<std::string> allowed = {"at", "until"};
  allowed.insert(allowed.end(), kActions.begin(), kActions.end());
  MapFields m(src, f, allowed);
  std::vector<std::string> actions;
  for (const auto& k : m.keys())
    if (k != "at" && k != "until") actions.push_back(k);
  if (actions.empty())
    src.fail(f, "`" + f.path +
                    "` needs one of: partition, heal, delay, drop, duplicate, crash, restart, "
                    "clock_skew, byzantine");
  if (actions.size() > 1)
    src.fail(m.key_mark(actions[1]), "`" + f.path + "` has two actions (`" + actions[0] +
                                         "` and `" + actions[1] + "`); write them as two faults");
  FaultSpec spec;
  Field at = m.required("at");
  spec.at = as_duration(src, at);
  if (spec.at > run)
    src.fail(at, "`" + at.path + "` (" + format_duration(spec.at) +
                     ") is after the end of the run (" + format_duration(run) + ")");
  spec.action = parse_action(src, actions[0], *m.optional(actions[0]), n);
  if (auto u = m.optional("until")) {
    if (actions[0] == "heal" || actions[0] == "restart")
      src.fail(*u, "`" + u->path + "` does not apply to `" + actions[0] + "`");
    spec.until = as_duration(src, *u);
    if (*spec.until <= spec.at)
      src.fail(*u, "`" + u->path + "` (" + format_duration(*spec.until) + ") must be after `at` (" +
                       format_duration(spec.at) + ")");
  }
  return spec;
}

}  // namespace

std::vector<FaultSpec> parse_faults(const Source& src, const Field& f, std::uint32_t n,
                                    Duration run) {
  std::vector<FaultSpec> faults;
  for (const Field& item : as_sequence(src, f)) faults.push_back(parse_fault(src, item, n, run));
  // Applied in time order; file order breaks ties so the schedule is deterministic.
  std::stable_sort(faults.begin(), faults.end(),
                   [](const FaultSpec& a, const FaultSpec& b) { return a.at < b.at; });
  return faults;
}

}  // namespace knhk::scenarios
