// The bundled examples: each loads, survives a write/read round trip, and together they
// cover every fault kind and every Byzantine behaviour for each protocol, plus one run
// per protocol that must find a safety violation and one that must find a stall.
// (Each file is also run by its own ctest, `scenario/<protocol>/<file>`.)
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>

#include "scenarios/loader.hpp"
#include "scenarios/writer.hpp"
#include "tests/support/examples.hpp"

using namespace knhk;
using namespace knhk::scenarios;
using knhk::testing::examples_dir;

namespace {

struct Coverage {
  std::set<std::string> fault_kinds;
  std::set<std::string> behaviors;
  bool safety_violation = false;
  bool liveness_violation = false;
};

}  // namespace

TEST_CASE("every example loads, round-trips, and the set covers the format",
          "[scenarios][examples]") {
  REQUIRE(std::filesystem::is_directory(examples_dir()));
  std::map<std::string, Coverage> by_protocol;
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(examples_dir())) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    INFO(entry.path().string());
    Scenario s = load_scenario_file(entry.path().string());
    CHECK(load_scenario_text(to_yaml(s)) == s);
    auto& c = by_protocol[to_string(s.protocol.kind)];
    for (const auto& f : s.faults) {
      c.fault_kinds.insert(fault_kind_name(f.action));
      if (auto* b = std::get_if<ByzantineFault>(&f.action))
        c.behaviors.insert(to_string(b->behavior));
    }
    c.safety_violation |= !s.expect.safety;
    c.liveness_violation |= s.expect.liveness.mode == LivenessExpect::Mode::violated;
  }
  CHECK(files >= 40);
  for (const char* protocol : {"pbft", "hotstuff"}) {
    INFO(protocol);
    const Coverage& c = by_protocol[protocol];
    for (const char* kind : {"partition", "heal", "delay", "drop", "duplicate", "crash", "restart",
                             "clock_skew", "byzantine"})
      CHECK(c.fault_kinds.count(kind) == 1);
    for (Behavior b : all_behaviors()) CHECK(c.behaviors.count(to_string(b)) == 1);
    CHECK(c.safety_violation);
    CHECK(c.liveness_violation);
  }
}
