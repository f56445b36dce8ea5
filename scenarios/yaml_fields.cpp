#include "scenarios/yaml_fields.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "scenarios/units.hpp"

namespace knhk::scenarios {

void Source::fail(const YAML::Mark& mark, const std::string& message) const {
  // yaml-cpp marks are 0-based; a null mark (-1) means "no position": report 1:1.
  int line = mark.line >= 0 ? mark.line + 1 : 1;
  int column = mark.column >= 0 ? mark.column + 1 : 1;
  throw ScenarioError(file_, line, column, message);
}

void Source::fail(const Field& f, const std::string& message) const {
  fail(f.node.Mark(), message);
}

std::string describe_node(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "`" + n.Scalar() + "`";
    default:
      return "nothing";
  }
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

namespace {

std::string where(const std::string& path) {
  return path.empty() ? "" : " in `" + path + "`";
}

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

const std::string& scalar_text(const Source& src, const Field& f, const char* expected) {
  if (!f.node.IsScalar())
    src.fail(f, "`" + f.path + "` must be " + expected + ", got " + describe_node(f.node));
  return f.node.Scalar();
}

}  // namespace

MapFields::MapFields(const Source& src, const Field& map, std::vector<std::string> allowed)
    : src_(src), map_(map) {
  if (!map.node.IsMap()) {
    std::string what = map.path.empty() ? "the scenario" : "`" + map.path + "`";
    src.fail(map, what + " must be a mapping, got " + describe_node(map.node));
  }
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    // By value: the iterator's pair is a temporary proxy, a reference into it would dangle.
    const YAML::Node key = it->first;
    if (!key.IsScalar()) src.fail(key.Mark(), "keys" + where(map.path) + " must be plain words");
    const std::string& name = key.Scalar();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      src.fail(key.Mark(), "unknown key `" + name + "`" + where(map.path) +
                               " (expected one of: " + join(allowed) + ")");
    if (entries_.count(name))
      src.fail(key.Mark(), "duplicate key `" + name + "`" + where(map.path));
    entries_.emplace(name, it->second);
    key_marks_.emplace(name, key.Mark());
    order_.push_back(name);
  }
}

std::optional<Field> MapFields::optional(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return Field{it->second, child_path(map_.path, key)};
}

Field MapFields::required(const std::string& key) const {
  auto f = optional(key);
  if (!f) src_.fail(map_, "missing required key `" + key + "`" + where(map_.path));
  return *f;
}

std::string as_string(const Source& src, const Field& f) {
  return scalar_text(src, f, "a string");
}

std::uint64_t as_uint(const Source& src, const Field& f, std::uint64_t min, std::uint64_t max) {
  const std::string& s = scalar_text(src, f, "an integer");
  bool digits = !s.empty() && s.size() <= 20 &&
                std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) src.fail(f, "`" + f.path + "` must be an integer, got `" + s + "`");
  // 20 digits may exceed 2^64 - 1; std::stoull reports that as out_of_range.
  std::uint64_t v = 0;
  try {
    v = std::stoull(s);
  } catch (const std::out_of_range&) {
    src.fail(f, "`" + f.path + "` must be at most " + std::to_string(max) + ", got " + s);
  }
  if (v < min)
    src.fail(f, "`" + f.path + "` must be at least " + std::to_string(min) + ", got " + s);
  if (v > max)
    src.fail(f, "`" + f.path + "` must be at most " + std::to_string(max) + ", got " + s);
  return v;
}

double as_number(const Source& src, const Field& f, double min, double max) {
  const std::string& s = scalar_text(src, f, "a number");
  auto p = parse_number(s);
  if (!p.ok()) src.fail(f, "`" + f.path + "` must be a number, got `" + s + "`");
  if (p.value < min || p.value > max)
    src.fail(f, "`" + f.path + "` must be between " + format_number(min) + " and " +
                    format_number(max) + ", got " + s);
  return p.value;
}

double as_probability(const Source& src, const Field& f) {
  return as_number(src, f, 0.0, 1.0);
}

bool as_bool(const Source& src, const Field& f) {
  const std::string& s = scalar_text(src, f, "true or false");
  if (s == "true") return true;
  if (s == "false") return false;
  src.fail(f, "`" + f.path + "` must be true or false, got `" + s + "`");
}

namespace {
Duration duration_field(const Source& src, const Field& f, bool allow_negative) {
  const std::string& s = scalar_text(src, f, "a duration with a unit (e.g. 250us, 30ms, 2s)");
  auto p = parse_duration(s, allow_negative);
  if (!p.ok()) src.fail(f, "`" + f.path + "` " + p.error + ", got `" + s + "`");
  return p.value;
}
}  // namespace

Duration as_duration(const Source& src, const Field& f) {
  return duration_field(src, f, false);
}

Duration as_positive_duration(const Source& src, const Field& f) {
  Duration d = duration_field(src, f, false);
  if (d.ns == 0) src.fail(f, "`" + f.path + "` must be greater than 0");
  return d;
}

Duration as_signed_duration(const Source& src, const Field& f) {
  return duration_field(src, f, true);
}

double as_rate(const Source& src, const Field& f) {
  const std::string& s = scalar_text(src, f, "a rate such as 1000/s");
  auto p = parse_rate(s);
  if (!p.ok()) src.fail(f, "`" + f.path + "` " + p.error + ", got `" + s + "`");
  if (p.value <= 0) src.fail(f, "`" + f.path + "` must be greater than 0/s");
  return p.value;
}

std::uint64_t as_bandwidth(const Source& src, const Field& f) {
  const std::string& s = scalar_text(src, f, "a bandwidth such as 1Gbps");
  auto p = parse_bandwidth(s);
  if (!p.ok()) src.fail(f, "`" + f.path + "` " + p.error + ", got `" + s + "`");
  if (p.value == 0) src.fail(f, "`" + f.path + "` must be greater than 0bps");
  return p.value;
}

std::uint32_t as_node(const Source& src, const Field& f, std::uint32_t nodes) {
  const std::string& s = scalar_text(src, f, "a node id");
  bool digits = !s.empty() && s.size() <= 9 &&
                std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) src.fail(f, "`" + f.path + "` must be a node id (0-based integer), got `" + s + "`");
  auto id = static_cast<std::uint32_t>(std::stoul(s));
  if (id >= nodes)
    src.fail(f, "`" + f.path + "`: node " + s + " does not exist (the cluster has " +
                    std::to_string(nodes) + " nodes, ids 0.." + std::to_string(nodes - 1) + ")");
  return id;
}

NodeRef as_node_ref(const Source& src, const Field& f, std::uint32_t nodes) {
  if (f.node.IsScalar() && f.node.Scalar() == "*") return NodeRef::all();
  if (!f.node.IsScalar())
    src.fail(f, "`" + f.path + "` must be a node id or '*', got " + describe_node(f.node));
  return NodeRef::node(as_node(src, f, nodes));
}

std::vector<Field> as_sequence(const Source& src, const Field& f) {
  if (!f.node.IsSequence())
    src.fail(f, "`" + f.path + "` must be a sequence, got " + describe_node(f.node));
  std::vector<Field> items;
  std::size_t i = 0;
  for (const YAML::Node& item : f.node)
    items.push_back(Field{item, f.path + "[" + std::to_string(i++) + "]"});
  return items;
}

Group as_group(const Source& src, const Field& f, std::uint32_t nodes) {
  Group g;
  std::set<std::uint32_t> seen;
  for (const Field& item : as_sequence(src, f)) {
    std::uint32_t id = as_node(src, item, nodes);
    if (!seen.insert(id).second)
      src.fail(item, "`" + f.path + "` lists node " + std::to_string(id) + " twice");
    g.push_back(id);
  }
  return g;
}

}  // namespace knhk::scenarios
