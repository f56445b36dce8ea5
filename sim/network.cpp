#include "sim/network.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/strong_components.hpp>

namespace knhk::sim {

// ---------------------------------------------------------------- latency

const char* to_string(LatencyModel::Kind k) {
  switch (k) {
    case LatencyModel::Kind::constant:
      return "constant";
    case LatencyModel::Kind::uniform:
      return "uniform";
    case LatencyModel::Kind::normal:
      return "normal";
    case LatencyModel::Kind::lognormal:
      return "lognormal";
    case LatencyModel::Kind::exponential:
      return "exponential";
  }
  return "?";
}

static Duration clamp_ns(double ns) {
  if (!(ns > 0.0)) return Duration{0};  // also catches NaN
  if (ns > 9.0e18) return Duration{static_cast<std::int64_t>(9.0e18)};
  return Duration{std::llround(ns)};
}

Duration LatencyModel::sample(Rng& rng) const {
  const double x = static_cast<double>(a.ns);
  switch (kind) {
    case Kind::constant:
      return a.ns > 0 ? a : Duration{0};
    case Kind::uniform:
      return clamp_ns(rng.uniform(x, static_cast<double>(b.ns)));
    case Kind::normal:
      return clamp_ns(rng.normal(x, static_cast<double>(b.ns)));
    case Kind::lognormal:
      return clamp_ns(rng.lognormal(x, sigma));
    case Kind::exponential:
      return clamp_ns(rng.exponential(x));
  }
  return Duration{0};
}

Duration LatencyModel::mean() const {
  switch (kind) {
    case Kind::constant:
    case Kind::normal:
    case Kind::exponential:
      return a;
    case Kind::uniform:
      return Duration{(a.ns + b.ns) / 2};
    case Kind::lognormal:
      return Duration{std::llround(static_cast<double>(a.ns) * std::exp(sigma * sigma / 2))};
  }
  return a;
}

std::string LatencyModel::describe() const {
  char buf[128];
  switch (kind) {
    case Kind::constant:
      return "constant " + to_string(a);
    case Kind::uniform:
      return "uniform [" + to_string(a) + ", " + to_string(b) + ")";
    case Kind::normal:
      return "normal mean " + to_string(a) + " stddev " + to_string(b);
    case Kind::lognormal:
      std::snprintf(buf, sizeof buf, " sigma %g", sigma);
      return "lognormal median " + to_string(a) + buf;
    case Kind::exponential:
      return "exponential mean " + to_string(a);
  }
  return "?";
}

const char* to_string(DropReason r) {
  switch (r) {
    case DropReason::none:
      return "none";
    case DropReason::blocked:
      return "blocked";
    case DropReason::random_loss:
      return "random_loss";
    case DropReason::fault_loss:
      return "fault_loss";
  }
  return "?";
}

// ---------------------------------------------------------------- reachability

// Multi-hop reachability over the open replica links, computed with Boost.Graph when
// first asked for after a topology change.
struct Network::ReachCache {
  bool valid = false;
  std::vector<std::uint8_t> reach;  // n*n: reach[from*n+to]
  std::vector<std::vector<NodeId>> groups;
};

namespace {
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
}

// ---------------------------------------------------------------- network

Network::Network(NetworkConfig config, std::uint32_t replicas, std::uint32_t clients, Rng rng)
    : config_(std::move(config)),
      uniform_links_(is_uniform(config_)),
      replicas_(replicas),
      clients_(clients),
      rng_(rng),
      partition_group_(replicas, 0),
      blocked_(static_cast<std::size_t>(replicas) * replicas, 0),
      closed_(static_cast<std::size_t>(replicas) * replicas, 0),
      overrides_(static_cast<std::size_t>(replicas) * replicas, nullptr),
      egress_free_at_(static_cast<std::size_t>(replicas) + clients, Time{}),
      skew_(replicas, Duration{}),
      reach_(std::make_unique<ReachCache>()) {
  for (const auto& link : config_.links)
    if (link.from.value < replicas_ && link.to.value < replicas_)
      overrides_[index(link.from, link.to)] = &link;  // a later entry wins
}

Network::~Network() = default;

bool Network::is_uniform(const NetworkConfig& c) {
  return c.latency.kind == LatencyModel::Kind::constant && c.drop <= 0.0 && c.duplicate <= 0.0 &&
         !(c.bandwidth_bps && *c.bandwidth_bps > 0) && c.links.empty();
}

Network::LinkParams Network::link_params(Principal from, Principal to) const {
  LinkParams p{&config_.latency, config_.drop, config_.duplicate};
  if (from.kind != Principal::Kind::replica || to.kind != Principal::Kind::replica) return p;
  if (const LinkConfig* o = overrides_[index(NodeId(from.id), NodeId(to.id))]) {
    if (o->latency) p.latency = &*o->latency;
    if (o->drop) p.drop = *o->drop;
    if (o->duplicate) p.duplicate = *o->duplicate;
  }
  return p;
}

// Propagation latency plus serialization on the sender's egress link, capped after GST.
Duration Network::base_delay(Time now, Principal from, const LinkParams& p, std::size_t size) {
  Duration d = p.latency->sample(rng_);
  if (config_.bandwidth_bps && *config_.bandwidth_bps > 0) {
    const std::size_t sender =
        from.kind == Principal::Kind::replica ? from.id : replicas_ + from.id;
    const Duration tx = clamp_ns(static_cast<double>(size) * 8e9 / *config_.bandwidth_bps);
    Time& free_at = egress_free_at_[sender];
    const Time start = std::max(free_at, now);
    free_at = start + tx;
    d = d + (free_at - now);
  }
  if (config_.gst && now >= *config_.gst && d > config_.post_gst_max_delay)
    d = config_.post_gst_max_delay;
  return d;
}

Fate Network::route(Time now, Principal from, Principal to, std::size_t size, TypeCounters& c) {
  ++c.sent;
  c.sent_bytes += size;
  Fate fate;
  if (uniform_links_ && closed_links_ == 0 && faults_.empty()) {
    fate.copies = 1;
    fate.delay[0] = config_.latency.a.ns > 0 ? config_.latency.a : Duration{};
    if (after_gst(now) && fate.delay[0] > config_.post_gst_max_delay)
      fate.delay[0] = config_.post_gst_max_delay;
    return fate;
  }
  if (closed_links_ > 0 && from.kind == Principal::Kind::replica &&
      to.kind == Principal::Kind::replica && closed_[index(NodeId(from.id), NodeId(to.id))]) {
    fate.reason = DropReason::blocked;
    ++c.dropped;
    return fate;
  }
  const LinkParams p = link_params(from, to);
  const bool base_faults = !after_gst(now);
  if (base_faults && rng_.bernoulli(p.drop)) {
    fate.reason = DropReason::random_loss;
    ++c.dropped;
    return fate;
  }
  Duration extra{};
  bool duplicate = base_faults && rng_.bernoulli(p.duplicate);
  for (const auto& [handle, f] : faults_) {
    if (!f.from.matches(from) || !f.to.matches(to)) continue;
    if (rng_.bernoulli(f.drop)) {
      fate.reason = DropReason::fault_loss;
      fate.fault = &f;
      ++c.dropped;
      return fate;
    }
    extra = extra + f.extra_delay;
    if (!duplicate && rng_.bernoulli(f.duplicate)) {
      duplicate = true;
      fate.fault = &f;
      fate.duplicated_by_fault = true;
    }
    if (f.extra_delay.ns > 0 && !fate.fault) fate.fault = &f;
  }
  fate.copies = duplicate ? 2 : 1;
  for (int i = 0; i < fate.copies; ++i) fate.delay[i] = base_delay(now, from, p, size) + extra;
  if (duplicate) ++c.duplicated;
  return fate;
}

TypeCounters& Network::counters(std::string_view type) {
  const void* key = type.data();
  CacheSlot& slot = counter_slots_[(reinterpret_cast<std::uintptr_t>(key) >> 3) % 32];
  if (slot.name == key) return *slot.counters;
  TypeCounters* found;
  auto hit = counter_cache_.find(key);
  if (hit != counter_cache_.end()) {
    found = hit->second;
  } else {
    auto it = counters_.find(type);
    if (it == counters_.end()) it = counters_.emplace(std::string(type), TypeCounters{}).first;
    found = &it->second;
    counter_cache_.emplace(key, found);
  }
  slot = {key, found};
  return *found;
}

std::map<std::string, TypeCounters> Network::counters_by_type() const {
  return {counters_.begin(), counters_.end()};
}

TypeCounters Network::totals() const {
  TypeCounters t;
  for (const auto& [name, c] : counters_) {
    t.sent += c.sent;
    t.sent_bytes += c.sent_bytes;
    t.delivered += c.delivered;
    t.delivered_bytes += c.delivered_bytes;
    t.dropped += c.dropped;
    t.duplicated += c.duplicated;
  }
  return t;
}

// ---------------------------------------------------------------- runtime faults

void Network::set_partition(const std::vector<std::vector<NodeId>>& groups) {
  // Group 0 holds every replica not listed; listed groups are 1, 2, ...
  std::fill(partition_group_.begin(), partition_group_.end(), 0);
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (NodeId n : groups[g])
      if (n.value < replicas_) partition_group_[n.value] = static_cast<std::uint32_t>(g + 1);
  topology_changed();
}

void Network::block(NodeId from, NodeId to) {
  if (from.value >= replicas_ || to.value >= replicas_) return;
  blocked_[index(from, to)] = 1;
  topology_changed();
}

void Network::unblock(NodeId from, NodeId to) {
  if (from.value >= replicas_ || to.value >= replicas_) return;
  blocked_[index(from, to)] = 0;
  topology_changed();
}

void Network::heal() {
  std::fill(partition_group_.begin(), partition_group_.end(), 0);
  std::fill(blocked_.begin(), blocked_.end(), 0);
  topology_changed();
}

LinkFaultHandle Network::add_link_fault(LinkFault fault) {
  const LinkFaultHandle h = next_fault_++;
  faults_.emplace(h, std::move(fault));
  return h;
}

bool Network::remove_link_fault(LinkFaultHandle h) {
  return faults_.erase(h) > 0;
}

void Network::remove_all_link_faults() {
  faults_.clear();
}

void Network::set_clock_skew(NodeId node, Duration offset) {
  if (node.value < replicas_) skew_[node.value] = offset;
}

Duration Network::clock_skew(NodeId node) const {
  return node.value < replicas_ ? skew_[node.value] : Duration{};
}

void Network::topology_changed() {
  closed_links_ = 0;
  for (std::uint32_t a = 0; a < replicas_; ++a) {
    for (std::uint32_t b = 0; b < replicas_; ++b) {
      const std::size_t i = index(NodeId(a), NodeId(b));
      const bool closed = a != b && (blocked_[i] || partition_group_[a] != partition_group_[b]);
      closed_[i] = closed;
      closed_links_ += closed;
    }
  }
  reach_->valid = false;
}

// ---------------------------------------------------------------- topology queries

bool Network::link_open(NodeId from, NodeId to) const {
  if (from.value >= replicas_ || to.value >= replicas_) return false;
  return !closed_[index(from, to)];
}

static void compute_reachability(const std::vector<std::uint8_t>& closed, std::uint32_t n,
                                 std::vector<std::uint8_t>& reach,
                                 std::vector<std::vector<NodeId>>& groups) {
  Graph g(n);
  for (std::uint32_t a = 0; a < n; ++a)
    for (std::uint32_t b = 0; b < n; ++b)
      if (a != b && !closed[static_cast<std::size_t>(a) * n + b]) boost::add_edge(a, b, g);
  reach.assign(static_cast<std::size_t>(n) * n, 0);
  for (std::uint32_t src = 0; src < n; ++src) {
    std::vector<boost::default_color_type> color(n, boost::white_color);
    boost::breadth_first_visit(g, src,
                               boost::color_map(boost::make_iterator_property_map(
                                   color.begin(), boost::get(boost::vertex_index, g))));
    for (std::uint32_t v = 0; v < n; ++v)
      reach[static_cast<std::size_t>(src) * n + v] = color[v] != boost::white_color;
  }
  std::vector<int> component(n);
  const int count = boost::strong_components(
      g, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, g)));
  groups.assign(static_cast<std::size_t>(count), {});
  for (std::uint32_t v = 0; v < n; ++v)
    groups[static_cast<std::size_t>(component[v])].push_back(NodeId(v));
  // Members are pushed in id order; order the groups by their smallest member.
  std::sort(groups.begin(), groups.end(),
            [](const auto& x, const auto& y) { return x.front() < y.front(); });
}

bool Network::reachable(NodeId from, NodeId to) const {
  if (from.value >= replicas_ || to.value >= replicas_) return false;
  if (!reach_->valid) {
    compute_reachability(closed_, replicas_, reach_->reach, reach_->groups);
    reach_->valid = true;
  }
  return reach_->reach[index(from, to)];
}

std::vector<std::vector<NodeId>> Network::strongly_connected_groups() const {
  if (replicas_ == 0) return {};
  reachable(NodeId(0), NodeId(0));  // refreshes the cache
  return reach_->groups;
}

}  // namespace knhk::sim
