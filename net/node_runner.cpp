#include "net/node_runner.hpp"

#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <iostream>

#include "net/metrics_server.hpp"
#include "net/udp_host.hpp"
#include "protocols/factory.hpp"

namespace knhk::net {
namespace asio = boost::asio;

namespace {

KeyFile load_node_key(const ClusterFile& c, NodeId id) {
  const NodeEntry* entry = c.node(id);
  if (!entry) throw ConfigError("node id " + std::to_string(id.value) + " is not in the cluster");
  KeyFile k = load_key_file(node_key_path(c.key_dir, id));
  if (k.principal != Principal::replica(id) || k.keys.public_key != entry->public_key)
    throw ConfigError(node_key_path(c.key_dir, id).string() +
                      ": key does not match the cluster file's node " + std::to_string(id.value));
  return k;
}

std::string status_line(NodeId id, const ReplicaStatus& s, const DropCounters& drops) {
  return fmt::format("node {}: view {} committed {} state {} leader {} view_changes {} dropped {}",
                     id.value, s.view.value, s.committed.value, s.state_hash.hex(),
                     s.is_leader ? "yes" : "no", s.view_changes, drops.total());
}

void log_status_periodically(asio::steady_timer& timer, const UdpHost& host, NodeId id,
                             Duration every) {
  timer.expires_after(std::chrono::nanoseconds(every.ns));
  timer.async_wait([&timer, &host, id, every](boost::system::error_code ec) {
    if (ec) return;
    spdlog::info("{}", status_line(id, host.status(), host.drops()));
    log_status_periodically(timer, host, id, every);
  });
}

}  // namespace

int run_node(const NodeOptions& o, std::ostream& out) {
  spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=debug shows commits and trace events
  ClusterFile cluster = load_cluster_file(o.cluster_file);
  KeyFile key = load_node_key(cluster, o.id);
  ReplicaSetup setup{cluster.params, o.id, cluster.signer(Principal::replica(o.id), key.keys),
                     cluster.verifier()};
  std::unique_ptr<Replica> replica = make_replica(setup);

  asio::io_context io(1);
  UdpHostConfig config{o.id, cluster, key.keys, o.data_dir, o.fsync, {}};
  config.wire.max_datagram_bytes = o.max_datagram_bytes.value_or(cluster.max_datagram_bytes);
  UdpHost host(io, std::move(config), std::move(replica));
  host.start();
  std::unique_ptr<MetricsServer> metrics;
  if (o.metrics_port)
    metrics = std::make_unique<MetricsServer>(io, "0.0.0.0", *o.metrics_port,
                                              [&host] { return host.render_metrics(); });
  spdlog::info("node {}: {} replica on {}:{} ({} nodes, f = {}, datagrams up to {} bytes){}{}",
               o.id.value, to_string(cluster.params.kind), cluster.node(o.id)->host,
               cluster.node(o.id)->port, cluster.nodes.size(), cluster.quorum().f(),
               o.max_datagram_bytes.value_or(cluster.max_datagram_bytes),
               o.data_dir ? ", data " + o.data_dir->string() : ", no --data: state is volatile",
               metrics ? fmt::format(", metrics on :{}", metrics->port()) : "");
  asio::steady_timer status_timer(io);
  log_status_periodically(status_timer, host, o.id, o.status_interval);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("node {}: signal {}, shutting down", o.id.value, signal);
    host.stop();  // flushes the store
    if (metrics) metrics->stop();
    status_timer.cancel();
    io.stop();
  });
  io.run();
  out << status_line(o.id, host.status(), host.drops()) << std::endl;
  return 0;
}

}  // namespace knhk::net
