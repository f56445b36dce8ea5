// The loader accepts every key of SCENARIO_FORMAT.md and the writer gives it back.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "scenarios/loader.hpp"
#include "scenarios/units.hpp"
#include "scenarios/writer.hpp"

using namespace knhk;
using namespace knhk::scenarios;

namespace {

// The example of the format page, verbatim apart from the comments.
const char* kFormatExample = R"(
name: pbft-leader-isolated
description: free text
seed: 42
duration: 10s
protocol:
  kind: pbft
  nodes: 7
  batch_size: 10
  batch_timeout: 5ms
  checkpoint_interval: 100
  view_timeout: 500ms
  snapshot_interval: 1000
  crypto: sim
network:
  latency: {dist: uniform, min: 25ms, max: 35ms}
  drop: 0.0
  duplicate: 0.0
  bandwidth: 1Gbps
  gst: 0s
  post_gst_max_delay: 100ms
  links:
    - {from: 0, to: 3, latency: {dist: constant, value: 100ms}, drop: 0.1}
clients:
  count: 4
  mode: open
  rate: 1000/s
  workload: kv
  keys: 100
  request_timeout: 1s
  stop_at: 8s
faults:
  - {at: 2s, partition: [[0], [1, 2, 3, 4, 5, 6]]}
  - {at: 4s, heal: true}
  - {at: 1s, until: 3s, delay: {from: 1, to: '*', extra: 200ms}}
  - {at: 3s, until: 5s, drop: {from: '*', to: 4, probability: 0.5}}
  - {at: 3s, until: 5s, duplicate: {from: 2, to: '*', probability: 0.3}}
  - {at: 5s, crash: 3}
  - {at: 6s, restart: 3}
  - {at: 2s, clock_skew: {node: 2, offset: 300ms}}
  - {at: 0s, until: 8s, byzantine: {node: 6, behavior: equivocate}}
expect:
  safety: true
  liveness:
    within: 3s
  min_commits: 500
  max_view_changes: 5
  latency_p50_max: 150ms
  latency_p99_max: 400ms
  byzantine_detected: [6]
)";

}  // namespace

TEST_CASE("the format page's example loads with every key", "[scenarios]") {
  Scenario s = load_scenario_text(kFormatExample, "format.yaml");
  CHECK(s.name == "pbft-leader-isolated");
  CHECK(s.description == "free text");
  CHECK(s.seed == 42);
  CHECK(s.duration == 10_s);
  CHECK(s.protocol.kind == ProtocolKind::pbft);
  CHECK(s.protocol.nodes == 7);
  CHECK(s.protocol.batch_size == 10);
  CHECK(s.protocol.batch_timeout == 5_ms);
  CHECK(s.protocol.checkpoint_interval == 100);
  CHECK(s.protocol.view_timeout == 500_ms);
  CHECK(s.protocol.snapshot_interval == 1000);
  CHECK(s.protocol.crypto == CryptoScheme::sim);
  CHECK(s.network.latency.dist == LatencyDist::Kind::uniform);
  CHECK(s.network.latency.min == 25_ms);
  CHECK(s.network.latency.max == 35_ms);
  CHECK(s.network.bandwidth_bps == 1000000000ull);
  CHECK(s.network.gst == Duration{});
  CHECK(s.network.post_gst_max_delay == 100_ms);
  REQUIRE(s.network.links.size() == 1);
  CHECK(s.network.links[0].to == NodeRef::node(3));
  CHECK(s.network.links[0].latency->value == 100_ms);
  CHECK(s.network.links[0].drop == 0.1);
  CHECK(s.clients.count == 4);
  CHECK(s.clients.mode == ClientsSpec::Mode::open);
  CHECK(s.clients.rate_per_s == 1000.0);
  CHECK(s.clients.stop_at == 8_s);
  REQUIRE(s.faults.size() == 9);
  // Sorted by time, file order breaking ties.
  CHECK(std::holds_alternative<ByzantineFault>(s.faults[0].action));
  CHECK(std::holds_alternative<DelayFault>(s.faults[1].action));
  CHECK(std::holds_alternative<PartitionFault>(s.faults[2].action));
  CHECK(std::holds_alternative<ClockSkewFault>(s.faults[3].action));
  CHECK(std::holds_alternative<DropFault>(s.faults[4].action));
  CHECK(std::holds_alternative<DuplicateFault>(s.faults[5].action));
  auto delay = std::get<DelayFault>(s.faults[1].action);
  CHECK(delay.from == NodeRef::node(1));
  CHECK(delay.to == NodeRef::all());
  CHECK(delay.extra == 200_ms);
  CHECK(s.faults[1].until == 3_s);
  CHECK(s.expect.liveness.mode == LivenessExpect::Mode::within);
  CHECK(s.expect.liveness.within == 3_s);
  CHECK(s.expect.min_commits == 500u);
  CHECK(s.expect.byzantine_detected == std::vector<std::uint32_t>{6});
}

TEST_CASE("defaults when optional sections are absent", "[scenarios]") {
  Scenario s = load_scenario_text("name: t\nduration: 1s\nprotocol: {kind: hotstuff}\n");
  CHECK(s.seed == 1);
  CHECK(s.protocol.nodes == 4);
  CHECK(s.protocol.batch_size == 1);
  CHECK(s.protocol.checkpoint_interval == 128);
  CHECK(s.clients.count == 1);
  CHECK(s.clients.workload == AppKind::kv);
  CHECK(s.expect.safety);
  CHECK(s.expect.liveness.mode == LivenessExpect::Mode::unchecked);
  CHECK(s.faults.empty());
  CHECK_FALSE(s.network.gst.has_value());
}

TEST_CASE("expectations of violation and asymmetric partitions", "[scenarios]") {
  Scenario s = load_scenario_text(
      "name: t\nduration: 2s\nprotocol: {kind: pbft}\n"
      "faults:\n  - {at: 1s, until: 2s, partition: {from: [0], to: [1, 2]}}\n"
      "  - {at: 0s, byzantine: {node: 0, behavior: twin, split: [[1], [2, 3]]}}\n"
      "  - {at: 0s, byzantine: {node: 1, behavior: mutate, p: 0.5}}\n"
      "expect: {safety: false, liveness: false}\n");
  CHECK_FALSE(s.expect.safety);
  CHECK(s.expect.liveness.mode == LivenessExpect::Mode::violated);
  auto twin = std::get<ByzantineFault>(s.faults[0].action);
  CHECK(twin.behavior == Behavior::twin);
  CHECK(twin.split == std::vector<Group>{{1}, {2, 3}});
  CHECK(std::get<ByzantineFault>(s.faults[1].action).mutate_probability() == 0.5);
  auto cut = std::get<PartitionFault>(s.faults[2].action);
  CHECK(cut.asymmetric());
  CHECK(cut.from == Group{0});
  CHECK(cut.to == Group{1, 2});
}

TEST_CASE("units: durations, rates and bandwidths", "[scenarios][units]") {
  CHECK(parse_duration("250us").value == 250_us);
  CHECK(parse_duration("30ms").value == 30_ms);
  CHECK(parse_duration("1.5s").value == 1500_ms);
  CHECK(parse_duration("1m").value == 60_s);
  CHECK(parse_duration("0").value == Duration{});
  CHECK(parse_duration("-300ms", true).value == Duration{} - 300_ms);
  CHECK_FALSE(parse_duration("-300ms").ok());
  CHECK_FALSE(parse_duration("1.0000000001s").ok());  // finer than 1ns
  CHECK_FALSE(parse_duration("99999999999m").ok());   // overflows int64 ns
  CHECK_FALSE(parse_duration("5 s").ok());
  CHECK_FALSE(parse_duration("s").ok());
  CHECK_FALSE(parse_duration(".5s").ok());
  CHECK(parse_rate("1000/s").value == 1000.0);
  CHECK(parse_rate("2/ms").value == 2000.0);
  CHECK_FALSE(parse_rate("1000").ok());
  CHECK(parse_bandwidth("1Gbps").value == 1000000000ull);
  CHECK(parse_bandwidth("100Mbps").value == 100000000ull);
  CHECK(parse_bandwidth("1.5Kbps").value == 1500ull);
  CHECK_FALSE(parse_bandwidth("fast").ok());
  CHECK(format_duration(90_s) == "90s");
  CHECK(format_duration(120_s) == "2m");
  CHECK(format_bandwidth(1500) == "1500bps");
}

TEST_CASE("durations round-trip through their text form", "[scenarios][units]") {
  rc::prop("parse(format(d)) == d", [] {
    auto ns = *rc::gen::inRange<std::int64_t>(0, std::int64_t{1} << 50);
    Duration d = Duration::nanos(ns);
    auto back = parse_duration(format_duration(d));
    RC_ASSERT(back.ok());
    RC_ASSERT(back.value == d);
  });
  rc::prop("format_number is exact", [] {
    double v = *rc::gen::inRange(0, 1000000) / 1000000.0;
    auto back = parse_number(format_number(v));
    RC_ASSERT(back.ok());
    RC_ASSERT(back.value == v);
  });
}

TEST_CASE("to_yaml round-trips the format example", "[scenarios][writer]") {
  Scenario s = load_scenario_text(kFormatExample);
  std::string text = to_yaml(s);
  Scenario back = load_scenario_text(text, "written.yaml");
  CHECK(back == s);
  CHECK(to_yaml(back) == text);
}

TEST_CASE("to_yaml round-trips every fault kind and expectation form", "[scenarios][writer]") {
  Scenario s;
  s.name = "every: thing #1";  // needs quoting
  s.duration = 3_s;
  s.seed = 18446744073709551615ull;
  s.protocol.kind = ProtocolKind::hotstuff;
  s.protocol.nodes = 10;
  s.protocol.crypto = CryptoScheme::ed25519;
  s.network.latency.dist = LatencyDist::Kind::lognormal;
  s.network.latency.median = 20_ms;
  s.network.latency.sigma = 0.35;
  s.network.links.push_back(LinkSpec{NodeRef::all(), NodeRef::node(9), std::nullopt, 0.25, 0.125});
  s.clients.mode = ClientsSpec::Mode::open;
  s.clients.rate_per_s = 333.25;
  s.clients.workload = AppKind::bank;
  auto at = [](std::int64_t ms) { return Duration::millis_(ms); };
  s.faults = {
      {at(0), at(2500), ByzantineFault{1, Behavior::twin, {{0, 2}, {3, 4}}, std::nullopt}},
      {at(0), std::nullopt, ByzantineFault{2, Behavior::mutate, {}, 0.05}},
      {at(100), at(200), PartitionFault{{{0}, {1, 2}}, {}, {}}},
      {at(150), std::nullopt, PartitionFault{{}, {3}, {4, 5}}},
      {at(300), std::nullopt, HealFault{}},
      {at(400), at(401), DelayFault{NodeRef::node(1), NodeRef::all(), 1_us}},
      {at(500), std::nullopt, DropFault{NodeRef::all(), NodeRef::all(), 1.0}},
      {at(600), at(900), DuplicateFault{NodeRef::node(9), NodeRef::node(0), 0.3}},
      {at(700), at(800), CrashFault{3}},
      {at(1000), std::nullopt, RestartFault{3}},
      {at(1100), at(1200), ClockSkewFault{4, Duration{} - 250_ms}},
  };
  s.expect.safety = false;
  s.expect.liveness.mode = LivenessExpect::Mode::violated;
  s.expect.byzantine_detected = std::vector<std::uint32_t>{};
  s.expect.latency_p99_max = 1500_us;
  Scenario back = load_scenario_text(to_yaml(s), "written.yaml");
  CHECK(back == s);

  s.expect.liveness = {LivenessExpect::Mode::within, 2_s};
  CHECK(load_scenario_text(to_yaml(s)) == s);
}
