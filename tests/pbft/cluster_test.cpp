// Simulated PBFT clusters (n = 4 and 7) under the faults of issue 3. Every run is judged
// by tests/support/cluster_checks.hpp: the analysis/ safety checkers (agreement, validity,
// integrity, state hashes), completion, no Byzantine evidence, convergence.
#include <catch2/catch.hpp>

#include "protocols/message.hpp"
#include "protocols/pbft/messages.hpp"
#include "sim/simulation.hpp"
#include "tests/support/cluster_checks.hpp"

using namespace knhk;
using namespace knhk::sim;
using namespace knhk::testing;

namespace {

constexpr Time at(std::int64_t ms) {
  return Time{ms * 1000000};
}

SimulationConfig cluster(std::uint32_t n, std::uint64_t seed) {
  SimulationConfig c;
  c.seed = seed;
  c.params.kind = ProtocolKind::pbft;
  c.params.nodes = n;
  c.params.batch_size = 8;
  c.params.batch_timeout = Duration::millis_(2);
  c.params.checkpoint_interval = 16;
  c.params.log_window = 64;
  c.params.view_timeout = Duration::millis_(300);
  c.params.app = AppKind::kv;
  c.network.latency = LatencyModel::uniform(Duration::millis_(3), Duration::millis_(7));
  c.clients.count = 4;
  c.clients.mode = ClientConfig::Mode::closed;
  c.clients.outstanding = 1;
  c.clients.request_timeout = Duration::millis_(1500);
  return c;
}

NodeId current_primary(Simulation& s) {
  View v{0};
  for (std::uint32_t i = 0; i < s.replicas(); ++i)
    if (auto st = s.status(NodeId(i)); st && st->is_leader) v = std::max(v, st->view);
  return NodeId(static_cast<std::uint32_t>(v.value % s.replicas()));
}

}  // namespace

TEST_CASE("pbft cluster: steady load commits everything in agreement", "[cluster]") {
  for (std::uint32_t n : {4u, 7u}) {
    DYNAMIC_SECTION("n = " << n) {
      auto cfg = cluster(n, 11 + n);
      cfg.clients.stop_at = at(3000);
      Simulation s(cfg);
      s.run_until(at(5000));
      check_all(s, 200);
      for (std::uint32_t i = 0; i < n; ++i) CHECK(s.status(NodeId(i))->view == View(0));
    }
  }
}

TEST_CASE("pbft cluster: the primary crashes, a view change follows, commits continue",
          "[cluster]") {
  for (std::uint32_t n : {4u, 7u}) {
    DYNAMIC_SECTION("n = " << n) {
      auto cfg = cluster(n, 21 + n);
      cfg.clients.stop_at = at(6000);
      Simulation s(cfg);
      s.run_until(at(1000));
      s.crash(current_primary(s));
      const std::size_t before = s.record().completed_operations();
      s.run_until(at(10000));
      CHECK(s.record().completed_operations() > before + 50);
      CHECK(s.status(NodeId(1))->view >= View(1));
      check_all(s, 100);
    }
  }
}

TEST_CASE("pbft cluster: the primary is partitioned away, then healed", "[cluster]") {
  for (std::uint32_t n : {4u, 7u}) {
    DYNAMIC_SECTION("n = " << n) {
      auto cfg = cluster(n, 31 + n);
      cfg.clients.stop_at = at(9000);
      Simulation s(cfg);
      s.run_until(at(1000));
      const NodeId p = current_primary(s);
      std::vector<NodeId> rest;
      for (std::uint32_t i = 0; i < n; ++i)
        if (NodeId(i) != p) rest.push_back(NodeId(i));
      s.network().set_partition({{p}, rest});
      s.run_until(at(3000));
      const std::size_t during = s.record().completed_operations();
      s.network().heal();
      s.run_until(at(14000));
      CHECK(s.record().completed_operations() > during + 50);
      check_all(s, 100);
      // The old primary learned the new view and caught up.
      CHECK(s.status(p)->view == s.status(NodeId((p.value + 1) % n))->view);
      CHECK(committed(s, p) == committed(s, NodeId((p.value + 1) % n)));
    }
  }
}

TEST_CASE("pbft cluster: two consecutive faulty primaries", "[cluster]") {
  SECTION("n = 7: primaries of views 0 and 1 crash together") {
    auto cfg = cluster(7, 41);
    cfg.clients.stop_at = at(8000);
    Simulation s(cfg);
    s.run_until(at(1000));
    s.crash(NodeId(0));
    s.crash(NodeId(1));
    const std::size_t before = s.record().completed_operations();
    s.run_until(at(14000));
    CHECK(s.record().completed_operations() > before + 50);
    CHECK(s.status(NodeId(2))->view >= View(2));
    check_all(s, 100);
  }
  SECTION("n = 4: the primary crashes, then the next primary crashes after recovery") {
    auto cfg = cluster(4, 42);
    cfg.clients.stop_at = at(12000);
    Simulation s(cfg);
    s.run_until(at(1000));
    s.crash(NodeId(0));
    s.run_until(at(3000));
    s.restart(NodeId(0));
    s.run_until(at(5000));
    const NodeId second = current_primary(s);
    CHECK(second != NodeId(0));
    s.crash(second);
    const std::size_t before = s.record().completed_operations();
    s.run_until(at(18000));
    CHECK(s.record().completed_operations() > before + 50);
    check_all(s, 100);
  }
}

TEST_CASE("pbft cluster: 20% message loss with duplicates", "[cluster]") {
  for (std::uint32_t n : {4u, 7u}) {
    DYNAMIC_SECTION("n = " << n) {
      auto cfg = cluster(n, 51 + n);
      cfg.network.drop = 0.2;
      cfg.network.duplicate = 0.1;
      cfg.network.gst = at(8000);  // loss stops here so that the run can drain
      cfg.clients.stop_at = at(8000);
      Simulation s(cfg);
      s.run_until(at(16000));
      check_all(s, 30);
    }
  }
}

TEST_CASE(
    "pbft cluster: a replica restarted after several checkpoints catches up by state transfer",
    "[cluster]") {
  for (std::uint32_t n : {4u, 7u}) {
    DYNAMIC_SECTION("n = " << n) {
      auto cfg = cluster(n, 61 + n);
      cfg.params.snapshot_interval = 64;
      cfg.clients.stop_at = at(7000);
      Simulation s(cfg);
      const NodeId victim(n - 1);
      s.run_until(at(1000));
      const Seq at_crash = committed(s, victim);
      s.crash(victim);
      s.run_until(at(4000));
      const Seq others = committed(s, NodeId(0));
      REQUIRE(others.value > at_crash.value + 3 * cfg.params.checkpoint_interval);
      s.restart(victim);
      s.run_until(at(12000));
      CHECK(committed(s, victim) == committed(s, NodeId(0)));
      CHECK(s.status(victim)->state_hash == s.status(NodeId(0))->state_hash);
      // It skipped positions: they came as a snapshot, not as individual commits.
      std::set<Seq> seen;
      for (const auto* c : s.record().commits_of(victim)) seen.insert(c->position);
      CHECK(seen.size() < committed(s, victim).value);
      check_all(s, 100);
    }
  }
}

TEST_CASE("pbft cluster: same seed, same trace digest", "[cluster]") {
  auto cfg = cluster(4, 99);
  cfg.network.drop = 0.05;
  cfg.clients.stop_at = at(1500);
  Simulation a(cfg), b(cfg);
  a.run_until(at(2000));
  b.run_until(at(2000));
  CHECK(a.trace_digest() == b.trace_digest());
  CHECK(a.record().completed_operations() > 0);
}
