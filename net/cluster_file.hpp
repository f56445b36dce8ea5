// The cluster file written by `knhk keygen` and read by `knhk node` / `knhk client`:
// protocol parameters, every replica's id, address and ed25519 public key, and the
// public keys of the client identities. Secret keys live in separate 0600 files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "net/frame.hpp"
#include "net/link_keys.hpp"
#include "protocols/common/crypto.hpp"
#include "protocols/common/params.hpp"

namespace knhk::net {

struct NodeEntry {
  NodeId id;
  std::string host;
  std::uint16_t port = 0;
  PublicKey public_key{};
};

struct ClusterFile {
  ProtocolParams params;                  // crypto is always ed25519 on real nodes
  std::vector<NodeEntry> nodes;           // ordered by id, ids 0..n-1
  std::map<ClientId, PublicKey> clients;  // identities a client process may use
  std::filesystem::path key_dir;          // where node-I.key / client-C.key live
  // How client requests and replies are authenticated: MAC authenticators from session
  // keys (`client_auth: mac`, the default) or ed25519 signatures (`signature`).
  bool client_macs = true;
  // The largest UDP datagram every process of the cluster sends (`max_datagram`; 65,000
  // when absent): ~1,400 on a 1,500-byte-MTU network, so that no datagram is IP-fragmented.
  // A process may override it (--max-datagram); receivers accept up to 65,000 anyway.
  std::size_t max_datagram_bytes = kMaxDatagramBytes;

  QuorumRules quorum() const { return {static_cast<std::uint32_t>(nodes.size())}; }
  const NodeEntry* node(NodeId id) const;
  // Every principal's public key, for link keys and signature verification.
  std::map<Principal, PublicKey> directory() const;
  std::shared_ptr<Ed25519Verifier> verifier() const;
  // The signer of `self` (a replica or client listed here), with its session keys when
  // client_macs is set.
  std::shared_ptr<const Signer> signer(Principal self, const Ed25519KeyPair& keys) const;
};

// Thrown for a missing, malformed or inconsistent cluster or key file; the message
// names the file and the problem (the CLI prints it and exits 2).
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

ClusterFile load_cluster_file(const std::filesystem::path& path);
std::string render_cluster_file(const ClusterFile& c);

// A secret key file: the 32-byte ed25519 seed and, for checking, the public key.
struct KeyFile {
  Principal principal;
  Ed25519KeyPair keys;
};
void write_key_file(const std::filesystem::path& path, const KeyFile& k);  // mode 0600
KeyFile load_key_file(const std::filesystem::path& path);
std::filesystem::path node_key_path(const std::filesystem::path& dir, NodeId id);
std::filesystem::path client_key_path(const std::filesystem::path& dir, ClientId id);

std::string to_hex(std::span<const std::uint8_t> bytes);
bool from_hex(const std::string& hex, std::span<std::uint8_t> out);
// "250us", "2ms", "1.5s"; throws ConfigError otherwise.
Duration parse_duration(const std::string& text);
// A datagram size limit in bytes, kMinDatagramBytes..kMaxDatagramBytes, written as a
// plain decimal number ("1400"); throws ConfigError naming `what` (the key or flag) and
// the accepted range otherwise.
std::size_t parse_max_datagram(const std::string& text, const std::string& what);

}  // namespace knhk::net
