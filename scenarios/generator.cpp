#include "scenarios/generator.hpp"

#include <algorithm>
#include <numeric>
#include <set>
#include <string>

#include "sim/rng.hpp"

namespace knhk::scenarios {
namespace {

using sim::Rng;

Duration millis(std::int64_t v) {
  return Duration::millis_(v);
}
Duration random_millis(Rng& rng, std::int64_t lo, std::int64_t hi) {
  return millis(lo + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(hi - lo + 1))));
}

ProtocolSpec generate_protocol(Rng& rng, const GeneratorOptions& o) {
  ProtocolSpec p;
  if (o.protocol)
    p.kind = *o.protocol;
  else
    p.kind = rng.bernoulli(0.5) ? ProtocolKind::pbft : ProtocolKind::hotstuff;
  p.nodes = o.nodes ? *o.nodes : 4 + static_cast<std::uint32_t>(rng.below(o.max_nodes - 3));
  p.batch_size = 1 + static_cast<std::uint32_t>(rng.below(8));
  p.batch_timeout = random_millis(rng, 1, 5);
  p.checkpoint_interval = std::uint64_t{4} << rng.below(3);  // 4, 8 or 16: exercise checkpoints
  p.view_timeout = random_millis(rng, 100, 300);
  p.snapshot_interval = std::uint64_t{8} << rng.below(3);
  return p;
}

NetworkSpec generate_network(Rng& rng, Duration duration) {
  NetworkSpec n;
  switch (rng.below(4)) {
    case 0:
      n.latency = LatencyDist::constant(random_millis(rng, 1, 20));
      break;
    case 1:
      n.latency.dist = LatencyDist::Kind::uniform;
      n.latency.min = random_millis(rng, 1, 5);
      n.latency.max = n.latency.min + random_millis(rng, 1, 30);
      break;
    case 2:
      n.latency.dist = LatencyDist::Kind::normal;
      n.latency.mean = random_millis(rng, 5, 20);
      n.latency.stddev = random_millis(rng, 1, 5);
      break;
    default:
      n.latency.dist = LatencyDist::Kind::exponential;
      n.latency.mean = random_millis(rng, 2, 15);
      break;
  }
  if (rng.bernoulli(0.5)) n.drop = static_cast<double>(rng.below(11)) / 100.0;
  if (rng.bernoulli(0.3)) n.duplicate = static_cast<double>(rng.below(11)) / 100.0;
  // Before GST anything goes; from GST on delays are bounded and base loss stops.
  n.gst = millis(
      static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(duration.ns / 4000000))));
  n.post_gst_max_delay = millis(50);
  return n;
}

ClientsSpec generate_clients(Rng& rng, Duration duration) {
  ClientsSpec c;
  c.count = 1 + static_cast<std::uint32_t>(rng.below(3));
  c.mode = ClientsSpec::Mode::closed;
  c.outstanding = 1 + static_cast<std::uint32_t>(rng.below(2));
  c.workload = AppKind::kv;
  c.keys = 2 + static_cast<std::uint32_t>(rng.below(8));  // few keys: conflicting operations
  c.request_timeout = random_millis(rng, 300, 700);
  c.stop_at = duration - duration * 1 / 4;  // the last quarter drains
  return c;
}

Duration random_time(Rng& rng, Duration lo, Duration hi) {
  if (hi <= lo) return lo;
  auto span = static_cast<std::uint64_t>((hi - lo).ns / 1000000);
  return lo + millis(static_cast<std::int64_t>(rng.below(span + 1)));
}

const Behavior kBehaviours[] = {Behavior::silent,
                                Behavior::equivocate,
                                Behavior::conflicting_votes,
                                Behavior::invalid_signature,
                                Behavior::corrupt_digest,
                                Behavior::replay,
                                Behavior::withhold_votes,
                                Behavior::mutate,
                                Behavior::twin};

// Equivocation attacks agreement itself (with HotStuff it is the fork from below the lock,
// faults/hotstuff_fork.hpp), so it is drawn more often than the other behaviours.
Behavior random_behaviour(Rng& rng) {
  if (rng.bernoulli(0.25)) return Behavior::equivocate;
  return kBehaviours[rng.below(std::size(kBehaviours))];
}

// The sides an equivocating leader shows its two blocks to: one honest replica on side 0
// (it gets the honest proposal and commits), every other replica on side 1 (the fork needs
// n - f votes there). Side 0 avoids the replicas that lead right after a Byzantine one
// when it can: that leader must hold the fork to extend it.
std::vector<Group> fork_split(Rng& rng, std::uint32_t n,
                              const std::vector<std::uint32_t>& byzantine,
                              const std::vector<std::uint32_t>& honest) {
  std::vector<std::uint32_t> candidates;
  for (auto h : honest)
    if (std::none_of(byzantine.begin(), byzantine.end(),
                     [&](std::uint32_t b) { return (b + 1) % n == h; }))
      candidates.push_back(h);
  if (candidates.empty()) candidates = honest;
  const std::uint32_t lone = candidates[rng.below(candidates.size())];
  Group rest;
  for (std::uint32_t i = 0; i < n; ++i)
    if (i != lone) rest.push_back(i);
  return {{lone}, rest};
}

// Every equivocating replica gets the same fork split (Byzantine replicas collude; a
// replica lists itself on side 1 harmlessly: it never sends to itself).
void assign_fork_splits(Rng& rng, std::uint32_t n, const std::vector<std::uint32_t>& honest,
                        std::vector<FaultSpec>& faults) {
  std::vector<std::uint32_t> equivocating;
  for (const auto& f : faults)
    if (auto* b = std::get_if<ByzantineFault>(&f.action))
      if (b->behavior == Behavior::equivocate) equivocating.push_back(b->node);
  if (equivocating.empty() || honest.empty()) return;
  auto split = fork_split(rng, n, equivocating, honest);
  for (auto& f : faults)
    if (auto* b = std::get_if<ByzantineFault>(&f.action))
      if (b->behavior == Behavior::equivocate) b->split = split;
}

// One fault for a replica counted against the budget: a crash (maybe restarted) or a
// Byzantine behaviour.
void add_node_fault(Rng& rng, std::uint32_t node, Duration fault_end, bool byzantine,
                    std::vector<FaultSpec>& out) {
  Duration at = random_time(rng, millis(0), fault_end * 1 / 2);
  if (!byzantine || rng.bernoulli(0.4)) {
    out.push_back({at, std::nullopt, CrashFault{node}});
    if (rng.bernoulli(0.6))
      out.push_back(
          {random_time(rng, at + millis(100), fault_end), std::nullopt, RestartFault{node}});
    return;
  }
  ByzantineFault b;
  b.node = node;
  b.behavior = random_behaviour(rng);
  if (b.behavior == Behavior::mutate) b.p = static_cast<double>(1 + rng.below(5)) / 10.0;
  out.push_back({millis(0), std::nullopt, b});
}

// Benign network faults on any replica: they never count against the budget.
void add_network_fault(Rng& rng, std::uint32_t n, Duration fault_end, std::vector<FaultSpec>& out) {
  Duration at = random_time(rng, millis(0), fault_end * 2 / 3);
  Duration until = random_time(rng, at + millis(50), fault_end);
  auto node = [&] { return NodeRef::node(static_cast<std::uint32_t>(rng.below(n))); };
  switch (rng.below(4)) {
    case 0: {
      PartitionFault p;
      p.groups.push_back({static_cast<std::uint32_t>(rng.below(n))});
      out.push_back({at, std::nullopt, p});
      out.push_back({until, std::nullopt, HealFault{}});
      break;
    }
    case 1:
      out.push_back({at, until, DelayFault{node(), NodeRef::all(), random_millis(rng, 20, 300)}});
      break;
    case 2: {
      // Loss towards one replica, or on every link: then some slot may commit at one
      // replica only before a view change (what a new primary must carry over).
      NodeRef to = rng.bernoulli(0.5) ? NodeRef::all() : node();
      out.push_back({at, until,
                     DropFault{NodeRef::all(), to, 0.2 + 0.1 * static_cast<double>(rng.below(6))}});
      break;
    }
    default:
      out.push_back({at, until, DuplicateFault{node(), NodeRef::all(), 0.3}});
      break;
  }
}

// By start time, ties in the order added. The specs are moved once each into place
// instead of being swapped by std::stable_sort, whose std::variant move-assignments GCC 12
// flags with a false -Wmaybe-uninitialized in the Release build.
void sort_by_start(std::vector<FaultSpec>& faults) {
  std::vector<std::size_t> order(faults.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return faults[a].at < faults[b].at; });
  std::vector<FaultSpec> sorted;
  sorted.reserve(faults.size());
  for (std::size_t i : order) sorted.push_back(std::move(faults[i]));
  faults = std::move(sorted);
}

}  // namespace

Scenario generate_scenario(std::uint64_t seed, const GeneratorOptions& options) {
  Rng rng(sim::derive_seed(seed, "scenario-generator"));
  Scenario s;
  s.name = "generated-" + std::to_string(seed);
  s.seed = seed;
  s.duration = options.duration;
  s.protocol = generate_protocol(rng, options);
  s.network = generate_network(rng, s.duration);
  s.clients = generate_clients(rng, s.duration);

  // Faults end early enough that the rest of the run can show liveness: requests
  // submitted from the end of the faults to 55% of the run must complete within 45%
  // (room for a few consecutive faulty leaders with exponential back-off).
  const Duration fault_end = s.duration * 30 / 100;
  const std::uint32_t n = s.protocol.nodes, f = s.quorum().f();
  std::uint32_t faulty = options.budget == FaultBudget::f_plus_one
                             ? f + 1
                             : static_cast<std::uint32_t>(rng.below(f + 1));
  std::vector<std::uint32_t> ids(n);
  for (std::uint32_t i = 0; i < n; ++i) ids[i] = i;
  // Beyond the budget, half the runs are a colluding fork attack: every faulty replica
  // equivocates (the attack that needs f + 1 against a correct protocol).
  const bool collude =
      options.budget == FaultBudget::f_plus_one && options.byzantine && rng.bernoulli(0.5);
  for (std::uint32_t i = 0; i < faulty; ++i) {  // partial Fisher-Yates: distinct faulty ids
    std::swap(ids[i], ids[i + rng.below(n - i)]);
    if (collude)
      s.faults.push_back({millis(0), std::nullopt,
                          ByzantineFault{ids[i], Behavior::equivocate, {}, std::nullopt}});
    else
      add_node_fault(rng, ids[i], fault_end, options.byzantine, s.faults);
  }
  assign_fork_splits(rng, n, {ids.begin() + faulty, ids.end()}, s.faults);
  auto network_faults = rng.below(3);
  for (std::uint64_t i = 0; i < network_faults; ++i) add_network_fault(rng, n, fault_end, s.faults);
  sort_by_start(s.faults);

  s.expect.safety = true;
  if (options.budget == FaultBudget::within_f) {
    s.expect.liveness.mode = LivenessExpect::Mode::within;
    s.expect.liveness.within = s.duration * 45 / 100;
  }
  return s;
}

std::vector<std::uint32_t> faulty_replicas(const Scenario& s) {
  std::set<std::uint32_t> out;
  for (const auto& f : s.faults) {
    if (auto* c = std::get_if<CrashFault>(&f.action)) out.insert(c->node);
    if (auto* b = std::get_if<ByzantineFault>(&f.action)) out.insert(b->node);
  }
  return {out.begin(), out.end()};
}

}  // namespace knhk::scenarios
