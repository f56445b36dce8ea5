// `knhk keygen`, `knhk node` and `knhk cluster up|down` as library functions, so the
// CLI files only parse flags and the tests can call them directly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "net/cluster_file.hpp"

namespace knhk::net {

struct KeygenOptions {
  std::uint32_t nodes = 4;
  ProtocolParams params;  // kind and parameters written into cluster.yaml
  std::string host = "127.0.0.1";
  std::uint16_t base_port = 7000;
  std::uint32_t clients = 64;  // client identities (one outstanding request each)
  std::filesystem::path out;
  bool client_macs = true;  // cluster file's client_auth: mac (else signature)
  std::size_t max_datagram_bytes = kMaxDatagramBytes;  // cluster file's max_datagram
};
// Writes OUT/node-I.key, OUT/client-C.key (0600) and OUT/cluster.yaml; returns the file.
ClusterFile keygen(const KeygenOptions& o);
// Sensible real-network defaults for a protocol (batching on, longer view timeout).
ProtocolParams default_real_params(ProtocolKind kind);

struct NodeOptions {
  std::filesystem::path cluster_file;
  NodeId id;
  std::optional<std::filesystem::path> data_dir;
  std::optional<std::uint16_t> metrics_port;
  bool fsync = true;
  // Overrides the cluster file's max_datagram for what this node sends (--max-datagram).
  std::optional<std::size_t> max_datagram_bytes;
  Duration status_interval = Duration::secs(5);  // status line to the log
};
// Runs the replica until SIGINT/SIGTERM, then writes a final status line (view,
// committed position, state hash) to `out`; returns the process exit code.
int run_node(const NodeOptions& o, std::ostream& out);

struct LocalClusterOptions {
  std::uint32_t nodes = 4;
  ProtocolKind protocol = ProtocolKind::pbft;
  std::uint16_t base_port = 7000;
  std::uint16_t metrics_base_port = 9100;  // node I serves metrics on base + I
  std::filesystem::path dir = "knhk-cluster";
  std::filesystem::path knhk_binary;  // the executable to start as `knhk node`
  bool fsync = true;                  // false: nodes run with --no-fsync
  // Given: nodes run with --max-datagram, and a cluster file created here says so too
  // (so `knhk client` against it follows); absent: the cluster file decides.
  std::optional<std::size_t> max_datagram_bytes;
};
// Starts the nodes as background processes (keys via keygen on first use; pid files,
// logs and data directories under dir). Returns 0 when every node is running.
int local_cluster_up(const LocalClusterOptions& o, std::ostream& out);
// Prints each node's pid, view, committed position and state hash (from its metrics).
int local_cluster_status(const std::filesystem::path& dir, std::ostream& out);
// Stops the nodes listed by the pid files under dir (SIGTERM, then SIGKILL after 5 s).
int local_cluster_down(const std::filesystem::path& dir, std::ostream& out);

}  // namespace knhk::net
