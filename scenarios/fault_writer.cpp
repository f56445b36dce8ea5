// Writes one fault as a flow mapping: {at: 2s, until: 3s, crash: 3}.
#include <yaml-cpp/yaml.h>

#include "scenarios/scenario.hpp"
#include "scenarios/units.hpp"

namespace knhk::scenarios {
namespace {

void node_ref(YAML::Emitter& out, const NodeRef& r) {
  if (r.any)
    out << YAML::SingleQuoted << "*";
  else
    out << r.id;
}

void group(YAML::Emitter& out, const Group& g) {
  out << YAML::Flow << YAML::BeginSeq;
  for (auto id : g) out << id;
  out << YAML::EndSeq;
}

void link_head(YAML::Emitter& out, const NodeRef& from, const NodeRef& to) {
  out << YAML::Flow << YAML::BeginMap << YAML::Key << "from" << YAML::Value;
  node_ref(out, from);
  out << YAML::Key << "to" << YAML::Value;
  node_ref(out, to);
}

struct ActionWriter {
  YAML::Emitter& out;

  void operator()(const PartitionFault& p) {
    if (p.asymmetric()) {
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "from" << YAML::Value;
      group(out, p.from);
      out << YAML::Key << "to" << YAML::Value;
      group(out, p.to);
      out << YAML::EndMap;
      return;
    }
    out << YAML::Flow << YAML::BeginSeq;
    for (const auto& g : p.groups) group(out, g);
    out << YAML::EndSeq;
  }
  void operator()(const HealFault&) { out << true; }
  void operator()(const DelayFault& d) {
    link_head(out, d.from, d.to);
    out << YAML::Key << "extra" << YAML::Value << format_duration(d.extra) << YAML::EndMap;
  }
  void operator()(const DropFault& d) { probability(d.from, d.to, d.probability); }
  void operator()(const DuplicateFault& d) { probability(d.from, d.to, d.probability); }
  void operator()(const CrashFault& c) { out << c.node; }
  void operator()(const RestartFault& r) { out << r.node; }
  void operator()(const ClockSkewFault& c) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "node" << YAML::Value << c.node << YAML::Key
        << "offset" << YAML::Value
        << (c.offset.ns < 0 ? format_duration(Duration{-c.offset.ns}).insert(0, 1, '-')
                            : format_duration(c.offset))
        << YAML::EndMap;
  }
  void operator()(const ByzantineFault& b) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "node" << YAML::Value << b.node << YAML::Key
        << "behavior" << YAML::Value << to_string(b.behavior);
    if (!b.split.empty()) {
      out << YAML::Key << "split" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const auto& side : b.split) group(out, side);
      out << YAML::EndSeq;
    }
    if (b.p) out << YAML::Key << "p" << YAML::Value << format_number(*b.p);
    out << YAML::EndMap;
  }

  void probability(const NodeRef& from, const NodeRef& to, double p) {
    link_head(out, from, to);
    out << YAML::Key << "probability" << YAML::Value << format_number(p) << YAML::EndMap;
  }
};

}  // namespace

void emit_fault(YAML::Emitter& out, const FaultSpec& f) {
  out << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "at" << YAML::Value << format_duration(f.at);
  if (f.until) out << YAML::Key << "until" << YAML::Value << format_duration(*f.until);
  out << YAML::Key << fault_kind_name(f.action) << YAML::Value;
  std::visit(ActionWriter{out}, f.action);
  out << YAML::EndMap;
}

}  // namespace knhk::scenarios
