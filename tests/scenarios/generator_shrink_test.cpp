#include <catch2/catch.hpp>

#include "scenarios/generator.hpp"
#include "scenarios/loader.hpp"
#include "scenarios/shrink.hpp"
#include "scenarios/writer.hpp"

using namespace knhk;
using namespace knhk::scenarios;

TEST_CASE("generated scenarios are a function of the seed") {
  GeneratorOptions o;
  REQUIRE(generate_scenario(11, o) == generate_scenario(11, o));
  bool some_differ = false;
  for (std::uint64_t seed = 12; seed < 20; ++seed)
    some_differ |= !(generate_scenario(seed, o) == generate_scenario(11, o));
  REQUIRE(some_differ);
}

TEST_CASE("generated scenarios respect the fault budget") {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    GeneratorOptions within;
    auto s = generate_scenario(seed, within);
    INFO("seed " << seed);
    REQUIRE(faulty_replicas(s).size() <= s.quorum().f());
    REQUIRE(s.protocol.nodes >= 4);
    REQUIRE(s.protocol.nodes <= 13);

    GeneratorOptions over;
    over.budget = FaultBudget::f_plus_one;
    auto t = generate_scenario(seed, over);
    REQUIRE(faulty_replicas(t).size() == t.quorum().f() + 1);
  }
}

TEST_CASE("generated scenarios are valid YAML scenarios that load back unchanged") {
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    GeneratorOptions o;
    o.budget = seed % 2 ? FaultBudget::within_f : FaultBudget::f_plus_one;
    auto s = generate_scenario(seed, o);
    INFO("seed " << seed << "\n" << to_yaml(s));
    REQUIRE(load_scenario_text(to_yaml(s), "generated.yaml") == s);
  }
}

TEST_CASE("the shrinker keeps only what the failure needs") {
  GeneratorOptions o;
  o.nodes = 10;
  o.budget = FaultBudget::f_plus_one;
  Scenario s = generate_scenario(5, o);
  // Plant the "cause": a crash of node 2 at 1s. The failure is "node 2 crashes".
  s.faults.insert(s.faults.begin(), FaultSpec{Duration::secs(1), std::nullopt, CrashFault{2}});
  auto crashes_node_2 = [](const Scenario& c) {
    for (const auto& f : c.faults)
      if (auto* crash = std::get_if<CrashFault>(&f.action); crash && crash->node == 2) return true;
    return false;
  };
  auto shrunk = shrink_scenario(s, crashes_node_2);
  REQUIRE(crashes_node_2(shrunk.scenario));
  REQUIRE(shrunk.scenario.faults.size() == 1);
  REQUIRE(shrunk.scenario.protocol.nodes == 4);
  REQUIRE(shrunk.scenario.clients.count == 1);
  REQUIRE(shrunk.scenario.duration < s.duration);
  REQUIRE(shrunk.scenario.duration > shrunk.scenario.faults[0].at);  // never cut below a fault
  REQUIRE(shrunk.accepted > 0);
  // The result is still a valid scenario file.
  REQUIRE(load_scenario_text(to_yaml(shrunk.scenario)) == shrunk.scenario);
}

TEST_CASE("the shrinker returns the input when nothing simpler fails") {
  GeneratorOptions o;
  Scenario s = generate_scenario(3, o);
  auto shrunk = shrink_scenario(s, [](const Scenario&) { return false; });
  REQUIRE(shrunk.accepted == 0);
  REQUIRE(shrunk.scenario.faults == s.faults);
  REQUIRE(shrunk.attempts <= shrink_candidates(s).size());
}

TEST_CASE("the shrinker never drops a heal or restart that keeps a scenario within its budget") {
  Scenario s = generate_scenario(7, GeneratorOptions{});
  s.protocol.nodes = 4;
  PartitionFault isolate_3;
  isolate_3.groups = {{3}};
  s.faults = {FaultSpec{Duration::millis_(100), std::nullopt, isolate_3},
              FaultSpec{Duration::millis_(300), std::nullopt, HealFault{}},
              FaultSpec{Duration::millis_(400), std::nullopt, CrashFault{0}},
              FaultSpec{Duration::millis_(600), std::nullopt, RestartFault{0}}};
  REQUIRE(impaired_at_end(s).empty());
  // A "failure" that any scenario with a partition shows: the partition must stay, and so
  // must its heal; the crash and restart go together or not at all.
  auto shrunk = shrink_scenario(s, [](const Scenario& c) {
    for (const auto& f : c.faults)
      if (std::holds_alternative<PartitionFault>(f.action)) return true;
    return false;
  });
  REQUIRE(impaired_at_end(shrunk.scenario).empty());
  REQUIRE(shrunk.scenario.faults.size() == 2);
  REQUIRE(std::holds_alternative<HealFault>(shrunk.scenario.faults[1].action));

  Scenario unhealed = s;
  unhealed.faults.erase(unhealed.faults.begin() + 1);
  REQUIRE(impaired_at_end(unhealed) == std::set<std::uint32_t>{3});
  Scenario not_restarted = s;
  not_restarted.faults.pop_back();
  REQUIRE(impaired_at_end(not_restarted) == std::set<std::uint32_t>{0});
}
