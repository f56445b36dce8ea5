// Simulated HotStuff clusters (n = 4, 7, 31) under the faults of issue 4. Every run is
// judged by tests/support/cluster_checks.hpp: the analysis/ safety checkers (agreement,
// validity, integrity, state hashes), completion (and that each completed request was
// committed), no Byzantine evidence under benign faults, convergence.
#include <catch2/catch.hpp>

#include "protocols/hotstuff/messages.hpp"
#include "protocols/message.hpp"
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
  c.params.kind = ProtocolKind::hotstuff;
  c.params.nodes = n;
  c.params.batch_size = 16;
  c.params.batch_timeout = Duration::millis_(2);
  c.params.view_timeout = Duration::millis_(300);
  c.params.app = AppKind::kv;
  c.network.latency = LatencyModel::uniform(Duration::millis_(3), Duration::millis_(7));
  c.clients.count = 4;
  c.clients.mode = ClientConfig::Mode::closed;
  c.clients.outstanding = 1;
  c.clients.request_timeout = Duration::millis_(1500);
  return c;
}

NodeId current_leader(Simulation& s) {
  View v{0};
  for (std::uint32_t i = 0; i < s.replicas(); ++i)
    if (auto st = s.status(NodeId(i))) v = std::max(v, st->view);
  return NodeId(static_cast<std::uint32_t>(v.value % s.replicas()));
}

// Runs load until `stop_ms`, then lets the cluster drain until `end_ms`.
const RunRecord& run(Simulation& s, std::int64_t end_ms) {
  s.run_until(at(end_ms));
  return s.record();
}

// A leader that never sends its proposals (it still votes and runs the pacemaker).
class WithholdingReplica : public Replica {
 public:
  explicit WithholdingReplica(std::unique_ptr<Replica> inner) : inner_(std::move(inner)) {}
  void step(Time now, const Input& in, Effects& out) override {
    Effects mine;
    inner_->step(now, in, mine);
    for (auto& e : mine.list)
      if (!is_proposal(e)) out.list.push_back(std::move(e));
  }
  ReplicaStatus status() const override { return inner_->status(); }

 private:
  static bool is_proposal(const Effect& e) {
    const MessagePtr* m = nullptr;
    if (auto* b = std::get_if<BroadcastEffect>(&e)) m = &b->msg;
    if (auto* s = std::get_if<SendEffect>(&e)) m = &s->msg;
    if (!m) return false;
    auto* h = std::get_if<hotstuff::Message>(&(*m)->body);
    return h && std::holds_alternative<hotstuff::Proposal>(*h);
  }
  std::unique_ptr<Replica> inner_;
};

}  // namespace

TEST_CASE("hotstuff cluster: steady load commits everything in agreement", "[cluster]") {
  for (std::uint32_t n : {4u, 7u, 31u}) {
    DYNAMIC_SECTION("n = " << n) {
      auto cfg = cluster(n, 11 + n);
      cfg.clients.stop_at = at(3000);
      Simulation s(cfg);
      const RunRecord& r = run(s, 5000);
      check_safety(r);
      check_completion(r, 100);
      check_no_evidence(r);
      check_converged(s);
    }
  }
}

TEST_CASE("hotstuff cluster: the leader crashes and commits continue", "[cluster]") {
  for (std::uint32_t n : {4u, 7u, 31u}) {
    DYNAMIC_SECTION("n = " << n) {
      auto cfg = cluster(n, 21 + n);
      cfg.clients.stop_at = at(6000);
      Simulation s(cfg);
      s.run_until(at(1000));
      const NodeId leader = current_leader(s);
      s.crash(leader);
      const std::size_t before = s.record().completed_operations();
      const RunRecord& r = run(s, 10000);
      CHECK(r.completed_operations() > before + 20);
      check_safety(r);
      check_completion(r, 50);
      check_no_evidence(r);
      check_converged(s);
    }
  }
}

TEST_CASE("hotstuff cluster: a leader that withholds its proposals is bypassed", "[cluster]") {
  for (std::uint32_t n : {4u, 7u, 31u}) {
    DYNAMIC_SECTION("n = " << n) {
      auto cfg = cluster(n, 31 + n);
      cfg.clients.stop_at = at(6000);
      const NodeId bad(1);
      ReplicaFactory factory = [bad](const ReplicaSetup& setup) -> std::unique_ptr<Replica> {
        auto r = make_replica(setup);
        if (setup.id == bad) return std::make_unique<WithholdingReplica>(std::move(r));
        return r;
      };
      Simulation s(cfg, factory);
      s.mark_faulty(bad, "withholds proposals");
      const RunRecord& r = run(s, 10000);
      check_safety(r);
      check_completion(r, 50);
      check_converged(s);
      // Withholding is not provable misbehaviour: no evidence against anyone.
      check_no_evidence(r);
      CHECK(r.view_changes.size() > 0);
    }
  }
}

TEST_CASE("hotstuff cluster: the next two leaders are partitioned, then healed", "[cluster]") {
  for (std::uint32_t n : {4u, 7u, 31u}) {
    DYNAMIC_SECTION("n = " << n) {
      auto cfg = cluster(n, 41 + n);
      cfg.clients.stop_at = at(12000);
      Simulation s(cfg);
      s.run_until(at(1000));
      const NodeId l = current_leader(s);
      const NodeId a((l.value + 1) % n), b((l.value + 2) % n);
      std::vector<NodeId> rest;
      for (std::uint32_t i = 0; i < n; ++i)
        if (NodeId(i) != a && NodeId(i) != b) rest.push_back(NodeId(i));
      s.network().set_partition({{a}, {b}, rest});
      s.run_until(at(3000));
      s.network().heal();
      const std::size_t healed_at = s.record().completed_operations();
      const RunRecord& r = run(s, 20000);
      CHECK(r.completed_operations() > healed_at + 20);
      check_safety(r);
      check_completion(r, 50);
      check_no_evidence(r);
      check_converged(s);
    }
  }
}

TEST_CASE("hotstuff cluster: 20% message loss", "[cluster]") {
  for (std::uint32_t n : {4u, 7u, 31u}) {
    DYNAMIC_SECTION("n = " << n) {
      auto cfg = cluster(n, 51 + n);
      cfg.network.drop = 0.2;
      cfg.network.gst = at(8000);  // loss stops here so that the run can drain
      cfg.clients.stop_at = at(8000);
      Simulation s(cfg);
      const RunRecord& r = run(s, 16000);
      check_safety(r);
      check_completion(r, 30);
      check_no_evidence(r);
      check_converged(s);
    }
  }
}

TEST_CASE("hotstuff cluster: a crashed replica restarts and catches up", "[cluster]") {
  for (std::uint32_t n : {4u, 7u, 31u}) {
    DYNAMIC_SECTION("n = " << n) {
      auto cfg = cluster(n, 61 + n);
      cfg.params.snapshot_interval = 64;
      cfg.clients.stop_at = at(7000);
      Simulation s(cfg);
      const NodeId victim(static_cast<std::uint32_t>(n - 1));
      s.run_until(at(1000));
      s.crash(victim);
      s.run_until(at(3000));
      const Seq behind = [&] {
        Seq best{0};
        for (std::uint32_t i = 0; i + 1 < n; ++i) best = std::max(best, committed(s, NodeId(i)));
        return best;
      }();
      s.restart(victim);
      const RunRecord& r = run(s, 12000);
      CHECK(committed(s, victim) > behind);
      CHECK(committed(s, victim) == committed(s, NodeId(0)));
      CHECK(s.status(victim)->state_hash == s.status(NodeId(0))->state_hash);
      check_safety(r);
      check_completion(r, 50);
      check_no_evidence(r);
    }
  }
}

TEST_CASE("hotstuff cluster: same seed, same trace digest", "[cluster]") {
  auto cfg = cluster(4, 99);
  cfg.network.drop = 0.05;
  cfg.clients.stop_at = at(1500);
  Simulation a(cfg), b(cfg);
  a.run_until(at(2000));
  b.run_until(at(2000));
  CHECK(a.trace_digest() == b.trace_digest());
  CHECK(a.record().completed_operations() > 0);
}

TEST_CASE("hotstuff cluster: agreement across seeds with a random crash, restart and loss",
          "[cluster]") {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    const std::uint32_t n = seed % 3 == 0 ? 7 : 4;
    auto cfg = cluster(n, 1000 + seed);
    cfg.network.drop = 0.05 * static_cast<double>(seed % 4);
    cfg.network.duplicate = 0.05;
    cfg.network.gst = at(4000);
    cfg.clients.stop_at = at(4000);
    Simulation s(cfg);
    const NodeId victim(static_cast<std::uint32_t>((seed * 7) % n));
    const std::int64_t crash_ms = 300 + static_cast<std::int64_t>((seed * 131) % 1500);
    s.run_until(at(crash_ms));
    s.crash(victim);
    s.run_until(at(crash_ms + 400 + static_cast<std::int64_t>((seed * 37) % 800)));
    s.restart(victim);
    INFO("seed " << seed << " n " << n << " victim " << victim.value);
    const RunRecord& r = run(s, 9000);
    check_safety(r);
    check_completion(r, 10);
    check_no_evidence(r);
    check_converged(s);
    // The restarted replica (marked faulty by its crash) caught up as well.
    CHECK(committed(s, victim) == committed(s, NodeId((victim.value + 1) % n)));
    CHECK(s.status(victim)->state_hash == s.status(NodeId((victim.value + 1) % n))->state_hash);
  }
}
