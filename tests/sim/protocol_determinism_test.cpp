// Whole-simulation determinism with the real protocols: one seed, one trace digest.
#include <catch2/catch.hpp>

#include "sim/simulation.hpp"

using namespace knhk;
using namespace knhk::sim;

namespace {
SimulationConfig protocol_config(ProtocolKind kind, std::uint64_t seed) {
  SimulationConfig c;
  c.seed = seed;
  c.params.kind = kind;
  c.params.nodes = 4;
  c.params.batch_size = 4;
  c.network.latency = LatencyModel::uniform(Duration::millis_(5), Duration::millis_(15));
  c.network.drop = 0.02;
  c.network.duplicate = 0.02;
  c.clients.count = 2;
  c.clients.outstanding = 2;
  c.clients.request_timeout = Duration::millis_(500);
  return c;
}

struct Outcome {
  Digest digest;
  std::uint64_t events;
  std::size_t completed;
};

Outcome run(ProtocolKind kind, std::uint64_t seed) {
  Simulation sim(protocol_config(kind, seed));
  sim.schedule(Time{} + Duration::millis_(800), [&] { sim.crash(NodeId(2)); });
  sim.schedule(Time{} + Duration::millis_(1200), [&] { sim.restart(NodeId(2)); });
  sim.run_until(Time{} + Duration::secs(2));
  return {sim.trace_digest(), sim.trace().events(), sim.record().completed_operations()};
}

// Two runs with one seed give one trace; another seed gives another. The runs must do real
// work (their liveness is tested in tests/pbft and tests/hotstuff), or equal digests would
// prove nothing.
void require_deterministic_per_seed(ProtocolKind kind) {
  const Outcome a = run(kind, 21), b = run(kind, 21);
  INFO("completed " << a.completed);
  REQUIRE(a.completed > 0);
  REQUIRE(a.events > 1000);
  REQUIRE(a.digest == b.digest);
  REQUIRE(a.events == b.events);
  REQUIRE(run(kind, 22).digest != a.digest);
}
}  // namespace

TEST_CASE("simulation: PBFT runs are deterministic per seed", "[sim][determinism][pbft]") {
  require_deterministic_per_seed(ProtocolKind::pbft);
}

TEST_CASE("simulation: HotStuff runs are deterministic per seed", "[sim][determinism][hotstuff]") {
  require_deterministic_per_seed(ProtocolKind::hotstuff);
}
