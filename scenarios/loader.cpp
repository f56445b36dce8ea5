#include "scenarios/loader.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenarios/sections.hpp"

namespace knhk::scenarios {
namespace {

const std::vector<std::string> kTopKeys = {"name",     "description", "seed",
                                           "duration", "protocol",    "network",
                                           "clients",  "faults",      "expect"};

YAML::Node parse_single_document(const std::string& text, const Source& src) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    // A bare * starts a YAML alias; in a scenario it almost always meant "every node".
    std::string hint = e.msg.find("alias not found after *") != std::string::npos
                           ? " (write '*' in quotes for every node)"
                           : "";
    src.fail(e.mark, "not valid YAML: " + e.msg + hint);
  }
  if (docs.size() > 1)
    src.fail(docs[1].Mark(), "expected one YAML document, found " + std::to_string(docs.size()));
  if (docs.empty() || docs[0].IsNull())
    src.fail(YAML::Mark::null_mark(),
             "empty scenario: expected a mapping with at least `name`, `duration` and `protocol`");
  return docs[0];
}

Scenario parse_scenario(const Source& src, const YAML::Node& root) {
  MapFields top(src, Field{root, ""}, kTopKeys);
  Scenario s;
  s.name = as_string(src, top.required("name"));
  if (s.name.empty()) src.fail(top.required("name"), "`name` must not be empty");
  if (auto f = top.optional("description")) s.description = as_string(src, *f);
  if (auto f = top.optional("seed")) s.seed = as_uint(src, *f, 0, UINT64_MAX);
  s.duration = as_positive_duration(src, top.required("duration"));
  s.protocol = parse_protocol(src, top.required("protocol"));
  const std::uint32_t n = s.protocol.nodes;
  if (auto f = top.optional("network")) s.network = parse_network(src, *f, n);
  if (auto f = top.optional("clients")) s.clients = parse_clients(src, *f, s.duration);
  if (auto f = top.optional("faults")) s.faults = parse_faults(src, *f, n, s.duration);
  if (auto f = top.optional("expect")) s.expect = parse_expect(src, *f, n);
  return s;
}

}  // namespace

Scenario load_scenario_text(const std::string& text, const std::string& file) {
  Source src(file);
  YAML::Node root = parse_single_document(text, src);
  try {
    return parse_scenario(src, root);
  } catch (const ScenarioError&) {
    throw;
  } catch (const YAML::Exception& e) {  // defensive: yaml-cpp misuse must not escape raw
    src.fail(e.mark, std::string("invalid scenario: ") + e.what());
  }
}

Scenario load_scenario_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ScenarioError(path, 1, 1, "cannot read scenario: Is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw ScenarioError(path, 1, 1, std::string("cannot read scenario: ") + std::strerror(err));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError(path, 1, 1, "cannot read scenario: read error");
  return load_scenario_text(text.str(), path);
}

}  // namespace knhk::scenarios
