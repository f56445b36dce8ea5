#include "scenarios/writer.hpp"

#include <yaml-cpp/yaml.h>

#include "scenarios/units.hpp"

namespace knhk::scenarios {
namespace {

void emit_node_ref(YAML::Emitter& out, const NodeRef& r) {
  if (r.any)
    out << YAML::SingleQuoted << "*";
  else
    out << r.id;
}

void emit_group(YAML::Emitter& out, const Group& g) {
  out << YAML::Flow << YAML::BeginSeq;
  for (auto id : g) out << id;
  out << YAML::EndSeq;
}

void emit_latency(YAML::Emitter& out, const LatencyDist& d) {
  out << YAML::Flow << YAML::BeginMap << YAML::Key << "dist" << YAML::Value << to_string(d.dist);
  auto dur = [&](const char* key, Duration v) {
    out << YAML::Key << key << YAML::Value << format_duration(v);
  };
  switch (d.dist) {
    case LatencyDist::Kind::constant:
      dur("value", d.value);
      break;
    case LatencyDist::Kind::uniform:
      dur("min", d.min);
      dur("max", d.max);
      break;
    case LatencyDist::Kind::normal:
      dur("mean", d.mean);
      dur("stddev", d.stddev);
      break;
    case LatencyDist::Kind::lognormal:
      dur("median", d.median);
      out << YAML::Key << "sigma" << YAML::Value << format_number(d.sigma);
      break;
    case LatencyDist::Kind::exponential:
      dur("mean", d.mean);
      break;
  }
  out << YAML::EndMap;
}

void emit_protocol(YAML::Emitter& out, const ProtocolSpec& p) {
  out << YAML::Key << "protocol" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "kind" << YAML::Value << to_string(p.kind);
  out << YAML::Key << "nodes" << YAML::Value << p.nodes;
  out << YAML::Key << "batch_size" << YAML::Value << p.batch_size;
  out << YAML::Key << "batch_timeout" << YAML::Value << format_duration(p.batch_timeout);
  out << YAML::Key << "checkpoint_interval" << YAML::Value << p.checkpoint_interval;
  out << YAML::Key << "view_timeout" << YAML::Value << format_duration(p.view_timeout);
  out << YAML::Key << "snapshot_interval" << YAML::Value << p.snapshot_interval;
  out << YAML::Key << "crypto" << YAML::Value << to_string(p.crypto);
  out << YAML::EndMap;
}

void emit_link(YAML::Emitter& out, const LinkSpec& l) {
  out << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "from" << YAML::Value;
  emit_node_ref(out, l.from);
  out << YAML::Key << "to" << YAML::Value;
  emit_node_ref(out, l.to);
  if (l.latency) {
    out << YAML::Key << "latency" << YAML::Value;
    emit_latency(out, *l.latency);
  }
  if (l.drop) out << YAML::Key << "drop" << YAML::Value << format_number(*l.drop);
  if (l.duplicate) out << YAML::Key << "duplicate" << YAML::Value << format_number(*l.duplicate);
  out << YAML::EndMap;
}

void emit_network(YAML::Emitter& out, const NetworkSpec& n) {
  out << YAML::Key << "network" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "latency" << YAML::Value;
  emit_latency(out, n.latency);
  out << YAML::Key << "drop" << YAML::Value << format_number(n.drop);
  out << YAML::Key << "duplicate" << YAML::Value << format_number(n.duplicate);
  if (n.bandwidth_bps)
    out << YAML::Key << "bandwidth" << YAML::Value << format_bandwidth(*n.bandwidth_bps);
  if (n.gst) out << YAML::Key << "gst" << YAML::Value << format_duration(*n.gst);
  if (n.post_gst_max_delay)
    out << YAML::Key << "post_gst_max_delay" << YAML::Value
        << format_duration(*n.post_gst_max_delay);
  if (!n.links.empty()) {
    out << YAML::Key << "links" << YAML::Value << YAML::BeginSeq;
    for (const auto& l : n.links) emit_link(out, l);
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

void emit_clients(YAML::Emitter& out, const ClientsSpec& c) {
  out << YAML::Key << "clients" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "count" << YAML::Value << c.count;
  out << YAML::Key << "mode" << YAML::Value << to_string(c.mode);
  if (c.mode == ClientsSpec::Mode::open)
    out << YAML::Key << "rate" << YAML::Value << format_rate(c.rate_per_s);
  else
    out << YAML::Key << "outstanding" << YAML::Value << c.outstanding;
  out << YAML::Key << "workload" << YAML::Value << to_string(c.workload);
  out << YAML::Key << "keys" << YAML::Value << c.keys;
  out << YAML::Key << "request_timeout" << YAML::Value << format_duration(c.request_timeout);
  if (c.stop_at) out << YAML::Key << "stop_at" << YAML::Value << format_duration(*c.stop_at);
  out << YAML::EndMap;
}

}  // namespace

void emit_fault(YAML::Emitter& out, const FaultSpec& f);  // fault_writer.cpp

namespace {

void emit_expect(YAML::Emitter& out, const ExpectSpec& e) {
  out << YAML::Key << "expect" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "safety" << YAML::Value << e.safety;
  if (e.liveness.mode == LivenessExpect::Mode::violated)
    out << YAML::Key << "liveness" << YAML::Value << false;
  if (e.liveness.mode == LivenessExpect::Mode::within)
    out << YAML::Key << "liveness" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
        << "within" << YAML::Value << format_duration(e.liveness.within) << YAML::EndMap;
  if (e.min_commits) out << YAML::Key << "min_commits" << YAML::Value << *e.min_commits;
  if (e.max_view_changes)
    out << YAML::Key << "max_view_changes" << YAML::Value << *e.max_view_changes;
  if (e.latency_p50_max)
    out << YAML::Key << "latency_p50_max" << YAML::Value << format_duration(*e.latency_p50_max);
  if (e.latency_p99_max)
    out << YAML::Key << "latency_p99_max" << YAML::Value << format_duration(*e.latency_p99_max);
  if (e.byzantine_detected) {
    out << YAML::Key << "byzantine_detected" << YAML::Value;
    emit_group(out, *e.byzantine_detected);
  }
  out << YAML::EndMap;
}

}  // namespace

std::string to_yaml(const Scenario& s) {
  YAML::Emitter out;
  out.SetBoolFormat(YAML::TrueFalseBool);
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << s.name;
  if (!s.description.empty()) out << YAML::Key << "description" << YAML::Value << s.description;
  out << YAML::Key << "seed" << YAML::Value << s.seed;
  out << YAML::Key << "duration" << YAML::Value << format_duration(s.duration);
  emit_protocol(out, s.protocol);
  emit_network(out, s.network);
  emit_clients(out, s.clients);
  if (!s.faults.empty()) {
    out << YAML::Key << "faults" << YAML::Value << YAML::BeginSeq;
    for (const auto& f : s.faults) emit_fault(out, f);
    out << YAML::EndSeq;
  }
  emit_expect(out, s.expect);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace knhk::scenarios
