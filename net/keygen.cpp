#include <fstream>

#include "net/node_runner.hpp"

namespace knhk::net {

ProtocolParams default_real_params(ProtocolKind kind) {
  ProtocolParams p;
  p.kind = kind;
  p.batch_size = 100;
  p.batch_timeout = Duration::millis_(2);
  p.view_timeout = Duration::secs(1);
  p.checkpoint_interval = 128;
  p.log_window = 256;
  // A snapshot encodes the whole state: every 1,024 commands it took 13% of a node's CPU
  // at 8,000 ops/s (perf, docs/real-nodes.md). Restart replays at most this many.
  p.snapshot_interval = 8192;
  p.crypto = CryptoScheme::ed25519;
  p.app = AppKind::kv;
  p.keys = 1000;
  return p;
}

ClusterFile keygen(const KeygenOptions& o) {
  if (o.nodes < 4) throw ConfigError("--nodes must be at least 4 (n = 3f + 1 with f >= 1)");
  if (o.base_port + o.nodes > 65535) throw ConfigError("--base-port too high for that many nodes");
  std::filesystem::create_directories(o.out);
  ClusterFile c;
  c.params = o.params;
  c.params.nodes = o.nodes;
  c.params.crypto = CryptoScheme::ed25519;
  c.key_dir = o.out;
  c.client_macs = o.client_macs;
  c.max_datagram_bytes = o.max_datagram_bytes;
  for (std::uint32_t i = 0; i < o.nodes; ++i) {
    KeyFile k{Principal::replica(NodeId(i)), ed25519_random_keypair()};
    write_key_file(node_key_path(o.out, NodeId(i)), k);
    c.nodes.push_back(
        {NodeId(i), o.host, static_cast<std::uint16_t>(o.base_port + i), k.keys.public_key});
  }
  for (std::uint32_t i = 0; i < o.clients; ++i) {
    KeyFile k{Principal::client(ClientId(i)), ed25519_random_keypair()};
    write_key_file(client_key_path(o.out, ClientId(i)), k);
    c.clients[ClientId(i)] = k.keys.public_key;
  }
  std::ofstream(o.out / "cluster.yaml") << render_cluster_file(c);
  return c;
}

}  // namespace knhk::net
