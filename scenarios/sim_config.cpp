#include "scenarios/sim_config.hpp"

#include <algorithm>
#include <map>

namespace knhk::scenarios {
namespace {

ProtocolParams to_params(const Scenario& s) {
  ProtocolParams p;
  p.kind = s.protocol.kind;
  p.nodes = s.protocol.nodes;
  p.batch_size = s.protocol.batch_size;
  p.batch_timeout = s.protocol.batch_timeout;
  p.checkpoint_interval = s.protocol.checkpoint_interval;
  // The log window must hold at least two checkpoint intervals, or the primary could not
  // propose past a checkpoint that is not yet stable (PBFT §4.3: L is "big enough").
  p.log_window = std::max<std::uint64_t>(p.log_window, 2 * p.checkpoint_interval);
  p.view_timeout = s.protocol.view_timeout;
  p.snapshot_interval = s.protocol.snapshot_interval;
  p.crypto = s.protocol.crypto;
  p.app = s.clients.workload;
  p.keys = s.clients.keys;
  return p;
}

// '*' expands to every other replica; a later entry overrides an earlier one per link.
void add_links(const Scenario& s, sim::NetworkConfig& net) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, sim::LinkConfig> links;
  const std::uint32_t n = s.protocol.nodes;
  for (const LinkSpec& l : s.network.links)
    for (std::uint32_t a = 0; a < n; ++a)
      for (std::uint32_t b = 0; b < n; ++b) {
        if (a == b || !l.from.matches(a) || !l.to.matches(b)) continue;
        auto& cfg = links[{a, b}];
        cfg.from = NodeId(a);
        cfg.to = NodeId(b);
        if (l.latency) cfg.latency = to_latency_model(*l.latency);
        if (l.drop) cfg.drop = l.drop;
        if (l.duplicate) cfg.duplicate = l.duplicate;
      }
  for (auto& [key, cfg] : links) net.links.push_back(cfg);
}

sim::ClientConfig to_clients(const ClientsSpec& c) {
  sim::ClientConfig out;
  out.count = c.count;
  out.mode = c.mode == ClientsSpec::Mode::open ? sim::ClientConfig::Mode::open
                                               : sim::ClientConfig::Mode::closed;
  if (c.mode == ClientsSpec::Mode::open) out.rate_per_second = c.rate_per_s;
  out.outstanding = c.outstanding;
  out.workload = c.workload;
  out.keys = c.keys;
  out.request_timeout = c.request_timeout;
  if (c.stop_at) out.stop_at = Time{} + *c.stop_at;
  return out;
}

}  // namespace

sim::LatencyModel to_latency_model(const LatencyDist& d) {
  switch (d.dist) {
    case LatencyDist::Kind::constant:
      return sim::LatencyModel::constant(d.value);
    case LatencyDist::Kind::uniform:
      return sim::LatencyModel::uniform(d.min, d.max);
    case LatencyDist::Kind::normal:
      return sim::LatencyModel::normal(d.mean, d.stddev);
    case LatencyDist::Kind::lognormal:
      return sim::LatencyModel::lognormal(d.median, d.sigma);
    case LatencyDist::Kind::exponential:
      return sim::LatencyModel::exponential(d.mean);
  }
  return sim::LatencyModel::constant(d.value);
}

sim::SimulationConfig to_simulation_config(const Scenario& s) {
  sim::SimulationConfig cfg;
  cfg.params = to_params(s);
  cfg.seed = s.seed;
  cfg.network.latency = to_latency_model(s.network.latency);
  cfg.network.drop = s.network.drop;
  cfg.network.duplicate = s.network.duplicate;
  if (s.network.bandwidth_bps)
    cfg.network.bandwidth_bps = static_cast<double>(*s.network.bandwidth_bps);
  if (s.network.gst) cfg.network.gst = Time{} + *s.network.gst;
  if (s.network.post_gst_max_delay) cfg.network.post_gst_max_delay = *s.network.post_gst_max_delay;
  add_links(s, cfg.network);
  cfg.clients = to_clients(s.clients);
  return cfg;
}

}  // namespace knhk::scenarios
