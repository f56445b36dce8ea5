// Every way a scenario file can be wrong gets a FILE:LINE:COLUMN message; these tests pin
// the exact text, since users (and editors) read it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "scenarios/loader.hpp"

using namespace knhk::scenarios;

namespace {

const char* kHeader =
    "name: t\n"
    "duration: 10s\n"
    "protocol: {kind: pbft, nodes: 7}\n";

std::string error_of(const std::string& text, const std::string& file = "s.yaml") {
  try {
    load_scenario_text(text, file);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

std::filesystem::path temp_file(const std::string& name, const std::string& content) {
  auto dir = std::filesystem::temp_directory_path() / "knhk-loader-tests";
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace

TEST_CASE("missing file is reported with its path and the OS reason", "[scenarios][errors]") {
  try {
    load_scenario_file("/nonexistent/dir/x.yaml");
    FAIL("expected an error");
  } catch (const ScenarioError& e) {
    CHECK(std::string(e.what()) ==
          "/nonexistent/dir/x.yaml:1:1: cannot read scenario: No such file or directory");
  }
}

TEST_CASE("a directory is not a scenario file", "[scenarios][errors]") {
  auto dir = std::filesystem::temp_directory_path();
  CHECK_THROWS_WITH(load_scenario_file(dir.string()),
                    dir.string() + ":1:1: cannot read scenario: Is a directory");
}

TEST_CASE("empty file and comment-only file are rejected", "[scenarios][errors]") {
  auto empty = temp_file("empty.yaml", "");
  CHECK_THROWS_WITH(load_scenario_file(empty.string()),
                    empty.string() +
                        ":1:1: empty scenario: expected a mapping with at least `name`, "
                        "`duration` and `protocol`");
  CHECK(error_of("# only a comment\n") ==
        "s.yaml:1:1: empty scenario: expected a mapping with at least `name`, `duration` and "
        "`protocol`");
}

TEST_CASE("text that is not YAML points at the parser's position", "[scenarios][errors]") {
  CHECK(error_of("name: [unclosed\nduration: 1s\n") ==
        "s.yaml:2:9: not valid YAML: end of sequence flow not found");
  CHECK(error_of("just a sentence\n") ==
        "s.yaml:1:1: the scenario must be a mapping, got `just a sentence`");
}

TEST_CASE("negative duration", "[scenarios][errors]") {
  CHECK(error_of("name: t\nduration: -5s\nprotocol: {kind: pbft}\n") ==
        "s.yaml:2:11: `duration` must not be negative, got `-5s`");
}

TEST_CASE("duration without a unit", "[scenarios][errors]") {
  CHECK(error_of("name: t\nduration: 10\nprotocol: {kind: pbft}\n") ==
        "s.yaml:2:11: `duration` must be a duration with a unit (e.g. 250us, 30ms, 2s, 1.5s, "
        "1m), got `10`");
}

TEST_CASE("fewer than four nodes", "[scenarios][errors]") {
  CHECK(error_of("name: t\nduration: 1s\nprotocol:\n  kind: pbft\n  nodes: 3\n") ==
        "s.yaml:5:10: `protocol.nodes` must be at least 4 (n = 3f + 1 with f ≥ 1), got 3");
}

TEST_CASE("fault for a node outside the cluster", "[scenarios][errors]") {
  CHECK(error_of(std::string(kHeader) + "faults:\n  - {at: 1s, crash: 9}\n") ==
        "s.yaml:5:21: `faults[0].crash`: node 9 does not exist (the cluster has 7 nodes, ids "
        "0..6)");
  CHECK(error_of(std::string(kHeader) +
                 "faults:\n  - {at: 1s, until: 2s, delay: {from: '*', to: 7, extra: 1ms}}\n") ==
        "s.yaml:5:48: `faults[0].delay.to`: node 7 does not exist (the cluster has 7 nodes, ids "
        "0..6)");
}

TEST_CASE("until before at", "[scenarios][errors]") {
  CHECK(error_of(std::string(kHeader) + "faults:\n  - {at: 3s, until: 1s, crash: 2}\n") ==
        "s.yaml:5:21: `faults[0].until` (1s) must be after `at` (3s)");
}

TEST_CASE("unknown keys are rejected with the allowed list", "[scenarios][errors]") {
  CHECK(error_of("name: t\nduration: 1s\nprotocol: {kind: pbft, nodez: 4}\n") ==
        "s.yaml:3:24: unknown key `nodez` in `protocol` (expected one of: kind, nodes, "
        "batch_size, batch_timeout, checkpoint_interval, view_timeout, snapshot_interval, "
        "crypto)");
  CHECK(error_of(std::string(kHeader) + "colour: blue\n") ==
        "s.yaml:4:1: unknown key `colour` (expected one of: name, description, seed, duration, "
        "protocol, network, clients, faults, expect)");
}

TEST_CASE("wrong types name the expected type", "[scenarios][errors]") {
  CHECK(error_of("name: t\nduration: 1s\nprotocol: {kind: pbft, nodes: [1, 2]}\n") ==
        "s.yaml:3:31: `protocol.nodes` must be an integer, got a sequence");
  CHECK(error_of("name: t\nduration: 1s\nprotocol: pbft\n") ==
        "s.yaml:3:11: `protocol` must be a mapping, got `pbft`");
  CHECK(error_of(std::string(kHeader) + "network: {drop: lots}\n") ==
        "s.yaml:4:17: `network.drop` must be a number, got `lots`");
}

TEST_CASE("missing required keys", "[scenarios][errors]") {
  CHECK(error_of("duration: 1s\nprotocol: {kind: pbft}\n") ==
        "s.yaml:1:1: missing required key `name`");
  CHECK(error_of("name: t\nduration: 1s\nprotocol: {nodes: 4}\n") ==
        "s.yaml:3:11: missing required key `kind` in `protocol`");
}

TEST_CASE("other out-of-range and inconsistent values", "[scenarios][errors]") {
  CHECK(error_of(std::string(kHeader) + "network: {drop: 1.5}\n") ==
        "s.yaml:4:17: `network.drop` must be between 0 and 1, got 1.5");
  CHECK(error_of(std::string(kHeader) + "seed: 1\nseed: 2\n") ==
        "s.yaml:5:1: duplicate key `seed`");
  CHECK(error_of(std::string(kHeader) + "faults:\n  - {at: 1s, crash: 1, restart: 1}\n") ==
        "s.yaml:5:24: `faults[0]` has two actions (`crash` and `restart`); write them as two "
        "faults");
  CHECK(error_of(std::string(kHeader) + "faults:\n  - {at: 11s, crash: 1}\n") ==
        "s.yaml:5:10: `faults[0].at` (11s) is after the end of the run (10s)");
  CHECK(error_of(std::string(kHeader) + "clients: {mode: open}\n") ==
        "s.yaml:4:10: missing required key `rate` in `clients` (needed by `mode: open`)");
  CHECK(error_of(std::string(kHeader) +
                 "faults:\n  - {at: 1s, byzantine: {node: 1, behavior: sneaky}}\n") ==
        "s.yaml:5:45: `faults[0].byzantine.behavior` must be one of: silent, equivocate, "
        "conflicting_votes, invalid_signature, corrupt_digest, replay, withhold_votes, mutate, "
        "twin; got `sneaky`");
  CHECK(error_of(std::string(kHeader) + "faults:\n  - {at: 1s, partition: [[0, 1], [1]]}\n") ==
        "s.yaml:5:34: `faults[0].partition`: node 1 is in two groups");
  CHECK(error_of(std::string(kHeader) + "expect: {liveness: true}\n") ==
        "s.yaml:4:20: `expect.liveness` must be `false` or `{within: DURATION}`, got `true`");
  CHECK(error_of(std::string(kHeader) + "network:\n  links: [{from: 0, to: *}]\n") ==
        "s.yaml:5:26: not valid YAML: alias not found after * (write '*' in quotes for every "
        "node)");
  CHECK(error_of(std::string(kHeader) + "---\nname: u\n") ==
        "s.yaml:5:1: expected one YAML document, found 2");
}
