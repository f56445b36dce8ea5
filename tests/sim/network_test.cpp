// The link model: latency distributions, loss and duplication rates, partitions and
// reachability, GST, link faults, bandwidth, and counters.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "sim/network.hpp"

using namespace knhk;
using namespace knhk::sim;

namespace {
constexpr std::string_view kType = "test.msg";
Principal R(std::uint32_t i) {
  return Principal::replica(NodeId(i));
}
Principal C(std::uint32_t i) {
  return Principal::client(ClientId(i));
}
Network make(NetworkConfig cfg, std::uint32_t n = 4, std::uint32_t clients = 1) {
  return Network(std::move(cfg), n, clients, Rng(11));
}
std::vector<double> sample_ms(const LatencyModel& m, int count) {
  Rng rng(5);
  std::vector<double> out;
  for (int i = 0; i < count; ++i) out.push_back(m.sample(rng).millis());
  return out;
}
double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double min_of(const std::vector<double>& v) {
  return *std::min_element(v.begin(), v.end());
}
double max_of(const std::vector<double>& v) {
  return *std::max_element(v.begin(), v.end());
}
}  // namespace

TEST_CASE("latency: constant is exact and draws nothing", "[sim][network][latency]") {
  Rng rng(1), untouched(1);
  REQUIRE(LatencyModel::constant(30_ms).sample(rng) == 30_ms);
  REQUIRE(rng.next_u64() == untouched.next_u64());
}

TEST_CASE("latency: uniform stays in [min, max) with the middle as mean",
          "[sim][network][latency]") {
  const auto v = sample_ms(LatencyModel::uniform(25_ms, 35_ms), 100000);
  REQUIRE(min_of(v) >= 25.0);
  REQUIRE(max_of(v) < 35.0);
  REQUIRE(mean(v) == Approx(30.0).margin(0.1));
}

TEST_CASE("latency: normal has its mean, and is clamped at zero", "[sim][network][latency]") {
  const auto v = sample_ms(LatencyModel::normal(50_ms, 5_ms), 100000);
  REQUIRE(mean(v) == Approx(50.0).margin(0.1));
  REQUIRE(median(v) == Approx(50.0).margin(0.1));
  // A wide normal around 1ms would go negative half the time without the clamp.
  const auto wide = sample_ms(LatencyModel::normal(1_ms, 10_ms), 20000);
  REQUIRE(min_of(wide) == 0.0);
  const auto zeros = std::count(wide.begin(), wide.end(), 0.0);
  REQUIRE(zeros > 8000);  // ≈ P(N(1,10) < 0) = 46%
  REQUIRE(zeros < 10500);
}

TEST_CASE("latency: lognormal has its median and mean", "[sim][network][latency]") {
  const auto m = LatencyModel::lognormal(20_ms, 0.5);
  const auto v = sample_ms(m, 100000);
  REQUIRE(median(v) == Approx(20.0).epsilon(0.02));
  REQUIRE(mean(v) == Approx(m.mean().millis()).epsilon(0.02));
  REQUIRE(m.mean().millis() == Approx(20.0 * std::exp(0.125)).epsilon(1e-6));
  REQUIRE(min_of(v) > 0.0);
}

TEST_CASE("latency: exponential has its mean and median", "[sim][network][latency]") {
  const auto v = sample_ms(LatencyModel::exponential(10_ms), 100000);
  REQUIRE(mean(v) == Approx(10.0).epsilon(0.02));
  REQUIRE(median(v) == Approx(10.0 * std::log(2.0)).epsilon(0.03));
  REQUIRE(min_of(v) >= 0.0);
}

TEST_CASE("network: random drop and duplicate happen at their rates", "[sim][network]") {
  NetworkConfig cfg;
  cfg.drop = 0.2;
  cfg.duplicate = 0.1;
  Network net = make(cfg);
  int lost = 0, doubled = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const Fate f = net.route(Time{i}, R(0), R(1), 100, kType);
    if (f.copies == 0) {
      ++lost;
      REQUIRE(f.reason == DropReason::random_loss);
    }
    if (f.copies == 2) ++doubled;
  }
  REQUIRE(lost / double(n) == Approx(0.2).margin(0.01));
  REQUIRE(doubled / double(n - lost) == Approx(0.1).margin(0.01));
  const TypeCounters c = net.counters_by_type().at(std::string(kType));
  REQUIRE(c.sent == static_cast<std::uint64_t>(n));
  REQUIRE(c.sent_bytes == 100u * n);
  REQUIRE(c.dropped == static_cast<std::uint64_t>(lost));
  REQUIRE(c.duplicated == static_cast<std::uint64_t>(doubled));
}

TEST_CASE("network: per-link overrides are directional", "[sim][network]") {
  NetworkConfig cfg;
  cfg.latency = LatencyModel::constant(10_ms);
  cfg.links.push_back({NodeId(0), NodeId(3), LatencyModel::constant(100_ms), 1.0, std::nullopt});
  Network net = make(cfg);
  REQUIRE(net.route(Time{}, R(0), R(3), 1, kType).copies == 0);  // drop 1.0 on 0→3
  const Fate back = net.route(Time{}, R(3), R(0), 1, kType);
  REQUIRE(back.copies == 1);
  REQUIRE(back.delay[0] == 10_ms);
  cfg.links[0].drop.reset();
  Network net2 = make(cfg);
  REQUIRE(net2.route(Time{}, R(0), R(3), 1, kType).delay[0] == 100_ms);
}

TEST_CASE("network: partitions close links between groups, unlisted nodes form a group",
          "[sim][network][partition]") {
  Network net = make({}, 6);
  net.set_partition({{NodeId(0)}, {NodeId(1), NodeId(2)}});  // {3,4,5} is the third group
  REQUIRE_FALSE(net.link_open(NodeId(0), NodeId(1)));
  REQUIRE_FALSE(net.link_open(NodeId(1), NodeId(0)));
  REQUIRE(net.link_open(NodeId(1), NodeId(2)));
  REQUIRE(net.link_open(NodeId(3), NodeId(5)));
  REQUIRE_FALSE(net.link_open(NodeId(2), NodeId(4)));
  const Fate f = net.route(Time{}, R(0), R(4), 10, kType);
  REQUIRE(f.copies == 0);
  REQUIRE(f.reason == DropReason::blocked);
  REQUIRE(net.route(Time{}, R(4), R(5), 10, kType).copies == 1);
  // Clients are not replicas: a partition does not cut them off.
  REQUIRE(net.route(Time{}, C(0), R(0), 10, kType).copies == 1);
  REQUIRE(net.route(Time{}, R(0), C(0), 10, kType).copies == 1);
  const auto groups = net.strongly_connected_groups();
  REQUIRE(groups == std::vector<std::vector<NodeId>>{
                        {NodeId(0)}, {NodeId(1), NodeId(2)}, {NodeId(3), NodeId(4), NodeId(5)}});
  net.heal();
  REQUIRE(net.link_open(NodeId(0), NodeId(1)));
  REQUIRE_FALSE(net.is_partitioned());
  REQUIRE(net.strongly_connected_groups().size() == 1);
}

TEST_CASE("network: directional blocks and multi-hop reachability (Boost.Graph)",
          "[sim][network][partition]") {
  Network net = make({}, 3);
  // Cut 0 off except the single direction 0→1, and 1→2 only: a chain 0→1→2.
  net.block(NodeId(1), NodeId(0));
  net.block(NodeId(2), NodeId(0));
  net.block(NodeId(0), NodeId(2));
  net.block(NodeId(2), NodeId(1));
  REQUIRE(net.link_open(NodeId(0), NodeId(1)));
  REQUIRE_FALSE(net.link_open(NodeId(1), NodeId(0)));
  REQUIRE_FALSE(net.link_open(NodeId(0), NodeId(2)));
  REQUIRE(net.reachable(NodeId(0), NodeId(2)));  // via 1, though the direct link is closed
  REQUIRE_FALSE(net.reachable(NodeId(2), NodeId(0)));
  REQUIRE_FALSE(net.reachable(NodeId(2), NodeId(1)));
  // Delivery needs the direct link: relaying is not modelled.
  REQUIRE(net.route(Time{}, R(0), R(2), 1, kType).copies == 0);
  REQUIRE(net.route(Time{}, R(0), R(1), 1, kType).copies == 1);
  REQUIRE(net.strongly_connected_groups().size() == 3);
  // Reopening 2→0 closes the cycle 0→1→2→0: one strongly connected group; the cache updates.
  net.unblock(NodeId(2), NodeId(0));
  REQUIRE(net.reachable(NodeId(2), NodeId(1)));
  REQUIRE(net.strongly_connected_groups().size() == 1);
  net.heal();
  for (std::uint32_t a = 0; a < 3; ++a)
    for (std::uint32_t b = 0; b < 3; ++b) REQUIRE(net.link_open(NodeId(a), NodeId(b)));
}

TEST_CASE("network: GST stops base loss/duplication and caps latency; faults still apply",
          "[sim][network][gst]") {
  NetworkConfig cfg;
  cfg.latency = LatencyModel::uniform(50_ms, 500_ms);
  cfg.drop = 0.5;
  cfg.duplicate = 0.5;
  cfg.gst = Time{0} + 1_s;
  cfg.post_gst_max_delay = 100_ms;
  Network net = make(cfg);
  int lost_before = 0, slow_before = 0;
  for (int i = 0; i < 2000; ++i) {
    const Fate f = net.route(Time{i}, R(0), R(1), 1, kType);
    lost_before += f.copies == 0;
    if (f.copies > 0 && f.delay[0] > 100_ms) ++slow_before;
  }
  REQUIRE(lost_before > 800);
  REQUIRE(slow_before > 500);
  const Time after = Time{0} + 2_s;
  for (int i = 0; i < 2000; ++i) {
    const Fate f = net.route(after, R(0), R(1), 1, kType);
    REQUIRE(f.copies == 1);
    REQUIRE(f.delay[0] <= 100_ms);
  }
  // An active fault still drops and delays after GST.
  const auto h = net.add_link_fault(
      {EndpointMatch::replica(NodeId(0)), EndpointMatch::any(), 200_ms, 0.0, 0.0, "slow0"});
  const Fate slow = net.route(after, R(0), R(2), 1, kType);
  REQUIRE(slow.copies == 1);
  REQUIRE(slow.delay[0] >= 200_ms);
  REQUIRE(slow.delay[0] <= 300_ms);
  REQUIRE(slow.fault != nullptr);
  REQUIRE(slow.fault->label == "slow0");
  net.remove_link_fault(h);
  net.add_link_fault({EndpointMatch::any(), EndpointMatch::replica(NodeId(3)), {}, 1.0, 0.0, "x"});
  REQUIRE(net.route(after, R(1), R(3), 1, kType).reason == DropReason::fault_loss);
  REQUIRE(net.route(after, R(1), R(2), 1, kType).copies == 1);
}

TEST_CASE("network: without a GST the base loss applies for the whole run", "[sim][network][gst]") {
  NetworkConfig cfg;
  cfg.drop = 1.0;
  Network net = make(cfg);
  REQUIRE(net.route(Time{0} + 1000_s, R(0), R(1), 1, kType).copies == 0);
}

TEST_CASE("network: link faults match '*' for replicas only; client links by name",
          "[sim][network][faults]") {
  Network net = make({}, 4, 2);
  const auto star = net.add_link_fault(
      {EndpointMatch::any(), EndpointMatch::any(), {}, 1.0, 0.0, "all-replicas"});
  REQUIRE(net.route(Time{}, R(0), R(1), 1, kType).copies == 0);
  REQUIRE(net.route(Time{}, C(0), R(1), 1, kType).copies == 1);
  REQUIRE(net.route(Time{}, R(1), C(0), 1, kType).copies == 1);
  REQUIRE(net.remove_link_fault(star));
  REQUIRE_FALSE(net.remove_link_fault(star));
  net.add_link_fault(
      {EndpointMatch::client(ClientId(1)), EndpointMatch::any(), {}, 1.0, 0.0, "c1"});
  REQUIRE(net.route(Time{}, C(1), R(2), 1, kType).copies == 0);
  REQUIRE(net.route(Time{}, C(0), R(2), 1, kType).copies == 1);
}

TEST_CASE("network: fault drop and duplicate rates are statistical", "[sim][network][faults]") {
  Network net = make({});
  net.add_link_fault({EndpointMatch::any(), EndpointMatch::any(), {}, 0.5, 0.3, "lossy"});
  int lost = 0, doubled = 0;
  const int n = 50000;
  for (int i = 0; i < n; ++i) {
    const Fate f = net.route(Time{}, R(0), R(1), 1, kType);
    lost += f.copies == 0;
    doubled += f.copies == 2;
  }
  REQUIRE(lost / double(n) == Approx(0.5).margin(0.015));
  REQUIRE(doubled / double(n - lost) == Approx(0.3).margin(0.015));
}

TEST_CASE("network: bandwidth adds queued serialization delay per sender", "[sim][network]") {
  NetworkConfig cfg;
  cfg.latency = LatencyModel::constant(1_ms);
  cfg.bandwidth_bps = 8e6;  // 1 byte per microsecond
  Network net = make(cfg);
  // 1000 bytes take 1ms on the wire; a second message queues behind the first.
  REQUIRE(net.route(Time{}, R(0), R(1), 1000, kType).delay[0] == 2_ms);
  REQUIRE(net.route(Time{}, R(0), R(2), 1000, kType).delay[0] == 3_ms);
  REQUIRE(net.route(Time{}, R(1), R(2), 1000, kType).delay[0] == 2_ms);          // other sender
  REQUIRE(net.route(Time{} + 10_ms, R(0), R(1), 1000, kType).delay[0] == 2_ms);  // drained
}

TEST_CASE("network: clock skew is kept per node", "[sim][network]") {
  Network net = make({});
  net.set_clock_skew(NodeId(2), 300_ms);
  REQUIRE(net.clock_skew(NodeId(2)) == 300_ms);
  REQUIRE(net.clock_skew(NodeId(1)) == Duration{});
}

TEST_CASE("network: counters looked up once count the same as by name", "[sim][network]") {
  NetworkConfig cfg;
  cfg.drop = 0.3;
  Network by_name = make(cfg), by_ref = make(cfg);
  TypeCounters& prepare = by_ref.counters("pbft.prepare");
  TypeCounters& reply = by_ref.counters("reply");
  for (int i = 0; i < 1000; ++i) {
    const bool is_reply = i % 3 == 0;
    const std::string_view type = is_reply ? "reply" : "pbft.prepare";
    const Fate a = by_name.route(Time{i}, R(0), is_reply ? C(0) : R(1), 40, type);
    const Fate b =
        by_ref.route(Time{i}, R(0), is_reply ? C(0) : R(1), 40, is_reply ? reply : prepare);
    REQUIRE(a.copies == b.copies);
    if (a.copies > 0) by_name.count_delivered(type, 40);
    if (b.copies > 0) Network::count_delivered(is_reply ? reply : prepare, 40);
  }
  REQUIRE(&by_ref.counters("pbft.prepare") == &prepare);  // one entry per name, stable
  const auto x = by_name.counters_by_type(), y = by_ref.counters_by_type();
  REQUIRE(x.size() == 2);
  REQUIRE(y.size() == 2);
  for (const auto& [name, c] : x) {
    const TypeCounters& d = y.at(name);
    REQUIRE(c.sent == d.sent);
    REQUIRE(c.dropped == d.dropped);
    REQUIRE(c.delivered == d.delivered);
    REQUIRE(c.delivered_bytes == d.delivered_bytes);
  }
  REQUIRE(x.at("reply").sent == 334);
  REQUIRE(x.at("pbft.prepare").dropped > 0);
}

TEST_CASE("network: uniform links decide as the general path does", "[sim][network]") {
  // Same model; `general` has a no-op per-link override, which keeps it off the shortcut.
  NetworkConfig cfg;
  cfg.latency = LatencyModel::constant(150_ms);
  cfg.gst = Time{0} + 1_s;
  cfg.post_gst_max_delay = 100_ms;
  NetworkConfig with_link = cfg;
  with_link.links.push_back(LinkConfig{NodeId(2), NodeId(3), std::nullopt, std::nullopt, {}});
  Network uniform = make(cfg), general = make(with_link);
  auto both = [&](auto&& change) {
    change(uniform);
    change(general);
  };
  LinkFaultHandle slow = 0;
  for (int i = 0; i < 400; ++i) {
    const Time now = Time{0} + Duration::millis_(5 * i);  // crosses GST at i = 200
    if (i == 50) both([](Network& n) { n.block(NodeId(0), NodeId(1)); });
    if (i == 100) both([](Network& n) { n.heal(); });
    if (i == 250)
      both([&](Network& n) {
        slow = n.add_link_fault({EndpointMatch::any(), EndpointMatch::any(), 7_ms, 0.5, 0.5, "f"});
      });
    if (i == 300) both([&](Network& n) { n.remove_link_fault(slow); });
    const Principal from = i % 5 == 0 ? C(0) : R(i % 4), to = R((i + 1) % 4);
    const Fate a = uniform.route(now, from, to, 64, kType);
    const Fate b = general.route(now, from, to, 64, kType);
    REQUIRE(a.copies == b.copies);
    REQUIRE(a.reason == b.reason);
    REQUIRE(a.delay[0] == b.delay[0]);
    REQUIRE(a.delay[1] == b.delay[1]);
    REQUIRE((a.fault == nullptr) == (b.fault == nullptr));
  }
  const TypeCounters x = uniform.totals(), y = general.totals();
  REQUIRE(x.sent == 400);
  REQUIRE(x.dropped == y.dropped);
  REQUIRE(x.dropped > 0);  // the block and the lossy fault both dropped something
  REQUIRE(x.duplicated == y.duplicated);
  // Before GST the constant latency, after it the cap.
  REQUIRE(uniform.route(Time{0}, R(0), R(1), 1, kType).delay[0] == 150_ms);
  REQUIRE(uniform.route(Time{0} + 2_s, R(0), R(1), 1, kType).delay[0] == 100_ms);
}
