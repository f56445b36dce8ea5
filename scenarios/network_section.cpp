#include "scenarios/sections.hpp"

namespace knhk::scenarios {
namespace {

const std::vector<std::pair<const char*, LatencyDist::Kind>> kDists = {
    {"constant", LatencyDist::Kind::constant},
    {"uniform", LatencyDist::Kind::uniform},
    {"normal", LatencyDist::Kind::normal},
    {"lognormal", LatencyDist::Kind::lognormal},
    {"exponential", LatencyDist::Kind::exponential}};

std::vector<std::string> dist_keys(LatencyDist::Kind k) {
  switch (k) {
    case LatencyDist::Kind::constant:
      return {"dist", "value"};
    case LatencyDist::Kind::uniform:
      return {"dist", "min", "max"};
    case LatencyDist::Kind::normal:
      return {"dist", "mean", "stddev"};
    case LatencyDist::Kind::lognormal:
      return {"dist", "median", "sigma"};
    case LatencyDist::Kind::exponential:
      return {"dist", "mean"};
  }
  return {"dist"};
}

LinkSpec parse_link(const Source& src, const Field& f, std::uint32_t nodes) {
  MapFields m(src, f, {"from", "to", "latency", "drop", "duplicate"});
  LinkSpec l;
  l.from = as_node_ref(src, m.required("from"), nodes);
  l.to = as_node_ref(src, m.required("to"), nodes);
  if (auto v = m.optional("latency")) l.latency = parse_latency(src, *v);
  if (auto v = m.optional("drop")) l.drop = as_probability(src, *v);
  if (auto v = m.optional("duplicate")) l.duplicate = as_probability(src, *v);
  return l;
}

}  // namespace

LatencyDist parse_latency(const Source& src, const Field& f) {
  if (!f.node.IsMap())
    src.fail(f, "`" + f.path + "` must be a mapping such as {dist: constant, value: 10ms}, got " +
                    describe_node(f.node));
  const YAML::Node& map = f.node;  // const: operator[] must not insert a key
  Field dist_field{map["dist"], child_path(f.path, "dist")};
  if (!dist_field.node.IsDefined()) src.fail(f, "missing required key `dist` in `" + f.path + "`");
  LatencyDist d;
  std::string name = as_string(src, dist_field);
  bool known = false;
  std::string list;
  for (const auto& [text, kind] : kDists) {
    list += (list.empty() ? "" : ", ") + std::string(text);
    if (name == text) d.dist = kind, known = true;
  }
  if (!known)
    src.fail(dist_field,
             "`" + dist_field.path + "` must be one of: " + list + "; got `" + name + "`");
  MapFields m(src, f, dist_keys(d.dist));
  switch (d.dist) {
    case LatencyDist::Kind::constant:
      d.value = as_duration(src, m.required("value"));
      break;
    case LatencyDist::Kind::uniform:
      d.min = as_duration(src, m.required("min"));
      d.max = as_duration(src, m.required("max"));
      if (d.max < d.min)
        src.fail(m.required("max"), "`" + f.path + ".max` must not be below `min`");
      break;
    case LatencyDist::Kind::normal:
      d.mean = as_duration(src, m.required("mean"));
      d.stddev = as_duration(src, m.required("stddev"));
      break;
    case LatencyDist::Kind::lognormal:
      d.median = as_duration(src, m.required("median"));
      d.sigma = as_number(src, m.required("sigma"), 0.0, 10.0);
      break;
    case LatencyDist::Kind::exponential:
      d.mean = as_duration(src, m.required("mean"));
      break;
  }
  return d;
}

NetworkSpec parse_network(const Source& src, const Field& f, std::uint32_t nodes) {
  MapFields m(src, f,
              {"latency", "drop", "duplicate", "bandwidth", "gst", "post_gst_max_delay", "links"});
  NetworkSpec n;
  if (auto v = m.optional("latency")) n.latency = parse_latency(src, *v);
  if (auto v = m.optional("drop")) n.drop = as_probability(src, *v);
  if (auto v = m.optional("duplicate")) n.duplicate = as_probability(src, *v);
  if (auto v = m.optional("bandwidth")) n.bandwidth_bps = as_bandwidth(src, *v);
  if (auto v = m.optional("gst")) n.gst = as_duration(src, *v);
  if (auto v = m.optional("post_gst_max_delay"))
    n.post_gst_max_delay = as_positive_duration(src, *v);
  if (auto v = m.optional("links"))
    for (const Field& item : as_sequence(src, *v)) n.links.push_back(parse_link(src, item, nodes));
  return n;
}

}  // namespace knhk::scenarios
