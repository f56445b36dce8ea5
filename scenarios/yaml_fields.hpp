// Typed, position-aware access to a YAML document for the scenario loader. Every accessor
// either returns a valid value or throws ScenarioError pointing at the offending node,
// with a message that names the key by its dotted path (`protocol.nodes`, `faults[2].at`).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "scenarios/error.hpp"
#include "scenarios/scenario.hpp"

namespace knhk::scenarios {

// A value node together with the dotted path that names it in messages.
struct Field {
  YAML::Node node;
  std::string path;
};

class Source {
 public:
  explicit Source(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const;
  [[noreturn]] void fail(const Field& f, const std::string& message) const;

 private:
  std::string file_;
};

// "a mapping", "a sequence", "nothing", or the scalar in backticks.
std::string describe_node(const YAML::Node& n);

// A mapping whose keys must come from `allowed`; unknown and duplicate keys are errors.
class MapFields {
 public:
  MapFields(const Source& src, const Field& map, std::vector<std::string> allowed);
  std::optional<Field> optional(const std::string& key) const;
  // Where the key itself is written (for errors about the key rather than its value).
  YAML::Mark key_mark(const std::string& key) const { return key_marks_.at(key); }
  Field required(const std::string& key) const;
  bool has(const std::string& key) const { return entries_.count(key) != 0; }
  // Keys present, in document order.
  const std::vector<std::string>& keys() const { return order_; }
  const Field& self() const { return map_; }

 private:
  const Source& src_;
  Field map_;
  std::map<std::string, YAML::Node> entries_;
  std::map<std::string, YAML::Mark> key_marks_;
  std::vector<std::string> order_;
};

std::string child_path(const std::string& parent, const std::string& key);

std::string as_string(const Source& src, const Field& f);
std::uint64_t as_uint(const Source& src, const Field& f, std::uint64_t min, std::uint64_t max);
double as_number(const Source& src, const Field& f, double min, double max);
double as_probability(const Source& src, const Field& f);
bool as_bool(const Source& src, const Field& f);
Duration as_duration(const Source& src, const Field& f);           // ≥ 0
Duration as_positive_duration(const Source& src, const Field& f);  // > 0
Duration as_signed_duration(const Source& src, const Field& f);
double as_rate(const Source& src, const Field& f);
std::uint64_t as_bandwidth(const Source& src, const Field& f);

std::uint32_t as_node(const Source& src, const Field& f, std::uint32_t nodes);
NodeRef as_node_ref(const Source& src, const Field& f, std::uint32_t nodes);  // id or '*'
Group as_group(const Source& src, const Field& f, std::uint32_t nodes);       // distinct ids
std::vector<Field> as_sequence(const Source& src, const Field& f);

template <class E>
E as_enum(const Source& src, const Field& f,
          std::initializer_list<std::pair<const char*, E>> names) {
  std::string text = as_string(src, f);
  std::string list;
  for (const auto& [name, value] : names) {
    if (text == name) return value;
    list += (list.empty() ? "" : ", ") + std::string(name);
  }
  src.fail(f, "`" + f.path + "` must be one of: " + list + "; got `" + text + "`");
}

}  // namespace knhk::scenarios
