// The schedule applies each fault at `at`, reverts it at `until`, and records both in the
// trace; network faults act on the simulator's links, node faults on its replicas.
#include <catch2/catch.hpp>

#include <sstream>

#include "faults/schedule.hpp"

using namespace knhk;
using namespace knhk::faults;

namespace {

Duration ms(std::int64_t v) {
  return Duration::millis_(v);
}

sim::SimulationConfig quiet_cluster() {
  sim::SimulationConfig cfg;
  cfg.params.nodes = 4;
  cfg.seed = 3;
  cfg.clients.generate_load = false;
  return cfg;
}

struct Run {
  std::vector<FaultSpec> faults;
  ByzantineControls controls;
  sim::Simulation sim;
  std::ostringstream trace;

  explicit Run(std::vector<FaultSpec> f)
      : faults(std::move(f)),
        controls(make_byzantine_controls(faults, 4, 3)),
        sim(quiet_cluster(), byzantine_factory(sim::default_replica_factory(), controls)) {
    sim.set_trace_sink(&trace);
    install_schedule(sim, faults, controls);
  }
  void until(std::int64_t t_ms) { sim.run_until(Time{} + ms(t_ms)); }
  sim::Fate route(std::uint32_t from, std::uint32_t to) {
    return sim.network().route(sim.now(), Principal::replica(NodeId(from)),
                               Principal::replica(NodeId(to)), 100, "test");
  }
};

}  // namespace

TEST_CASE("crash at `at`, restart at `until`", "[faults][schedule]") {
  Run r({{ms(100), ms(300), CrashFault{2}}});
  r.until(50);
  CHECK_FALSE(r.sim.is_crashed(NodeId(2)));
  r.until(150);
  CHECK(r.sim.is_crashed(NodeId(2)));
  r.until(350);
  CHECK_FALSE(r.sim.is_crashed(NodeId(2)));
  CHECK(r.trace.str().find("\"kind\":\"fault\"") != std::string::npos);
  CHECK(r.trace.str().find("crash 2") != std::string::npos);
}

TEST_CASE("crash then restart as two faults", "[faults][schedule]") {
  Run r({{ms(100), std::nullopt, CrashFault{1}}, {ms(200), std::nullopt, RestartFault{1}}});
  r.until(150);
  CHECK(r.sim.is_crashed(NodeId(1)));
  r.until(250);
  CHECK_FALSE(r.sim.is_crashed(NodeId(1)));
}

TEST_CASE("partition groups, asymmetric cut and heal", "[faults][schedule]") {
  Run r({{ms(100), ms(200), PartitionFault{{{0}, {1, 2}}, {}, {}}},
         {ms(300), std::nullopt, PartitionFault{{}, {3}, {0}}},
         {ms(400), std::nullopt, HealFault{}}});
  r.until(150);
  CHECK_FALSE(r.sim.network().link_open(NodeId(0), NodeId(1)));
  CHECK_FALSE(r.sim.network().link_open(NodeId(3), NodeId(1)));  // unlisted 3 is its own group
  CHECK(r.sim.network().link_open(NodeId(1), NodeId(2)));
  r.until(250);
  CHECK(r.sim.network().link_open(NodeId(0), NodeId(1)));
  r.until(350);
  CHECK_FALSE(r.sim.network().link_open(NodeId(3), NodeId(0)));
  CHECK(r.sim.network().link_open(NodeId(0), NodeId(3)));  // one way only
  r.until(450);
  CHECK(r.sim.network().link_open(NodeId(3), NodeId(0)));
}

TEST_CASE("delay, drop and duplicate per link and with '*'", "[faults][schedule]") {
  Run r({{ms(100), ms(200), DelayFault{NodeRef::node(1), NodeRef::all(), ms(250)}},
         {ms(100), ms(200), DropFault{NodeRef::all(), NodeRef::node(3), 1.0}},
         {ms(100), ms(200), DuplicateFault{NodeRef::node(2), NodeRef::node(0), 1.0}}});
  r.until(150);
  auto slow = r.route(1, 2);
  REQUIRE(slow.copies == 1);
  CHECK(slow.delay[0] >= ms(250));
  CHECK(r.route(2, 1).delay[0] < ms(250));
  CHECK(r.route(0, 3).copies == 0);
  CHECK(r.route(2, 0).copies == 2);
  r.until(250);
  CHECK(r.route(1, 2).delay[0] < ms(250));
  CHECK(r.route(0, 3).copies == 1);
  CHECK(r.route(2, 0).copies == 1);
}

TEST_CASE("clock skew is applied and reverted", "[faults][schedule]") {
  Run r({{ms(100), ms(200), ClockSkewFault{1, Duration{} - ms(40)}}});
  r.until(150);
  CHECK(r.sim.network().clock_skew(NodeId(1)) == Duration{} - ms(40));
  r.until(250);
  CHECK(r.sim.network().clock_skew(NodeId(1)) == Duration{});
}

TEST_CASE("a Byzantine behaviour is switched on and off, and marks the node faulty",
          "[faults][schedule]") {
  Run r({{ms(100), ms(200), ByzantineFault{3, Behavior::silent, {}, std::nullopt}}});
  REQUIRE(r.controls.count(NodeId(3)) == 1);
  CHECK(r.controls.size() == 1);
  r.until(150);
  CHECK(r.controls.at(NodeId(3))->active(Behavior::silent));
  CHECK(r.sim.record().is_faulty(NodeId(3)));
  r.until(250);
  CHECK_FALSE(r.controls.at(NodeId(3))->active().has_value());
  CHECK(dynamic_cast<ByzantineReplica*>(r.sim.replica(NodeId(3))) != nullptr);
  CHECK(dynamic_cast<ByzantineReplica*>(r.sim.replica(NodeId(0))) == nullptr);
}
