#include "net/cluster_file.hpp"

#include "protocols/common/session_keys.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace knhk::net {
namespace {

ProtocolKind parse_protocol(const std::string& s) {
  if (s == "pbft") return ProtocolKind::pbft;
  if (s == "hotstuff") return ProtocolKind::hotstuff;
  throw ConfigError("unknown protocol '" + s + "' (expected pbft or hotstuff)");
}

AppKind parse_app(const std::string& s) {
  if (s == "kv") return AppKind::kv;
  if (s == "bank") return AppKind::bank;
  if (s == "noop") return AppKind::noop;
  throw ConfigError("unknown app '" + s + "' (expected kv, bank or noop)");
}

PublicKey parse_key(const YAML::Node& n, const std::string& what) {
  PublicKey k{};
  if (!n || !from_hex(n.as<std::string>(), k)) throw ConfigError(what + ": malformed public_key");
  return k;
}

void parse_params(const YAML::Node& p, ProtocolParams& out) {
  if (!p || !p.IsMap()) throw ConfigError("missing 'protocol' section");
  out.kind = parse_protocol(p["kind"].as<std::string>(""));
  if (p["batch_size"]) out.batch_size = p["batch_size"].as<std::uint32_t>();
  if (p["batch_timeout"]) out.batch_timeout = parse_duration(p["batch_timeout"].as<std::string>());
  if (p["checkpoint_interval"])
    out.checkpoint_interval = p["checkpoint_interval"].as<std::uint64_t>();
  if (p["log_window"]) out.log_window = p["log_window"].as<std::uint64_t>();
  if (p["view_timeout"]) out.view_timeout = parse_duration(p["view_timeout"].as<std::string>());
  if (p["snapshot_interval"]) out.snapshot_interval = p["snapshot_interval"].as<std::uint64_t>();
  if (p["app"]) out.app = parse_app(p["app"].as<std::string>());
  if (p["keys"]) out.keys = p["keys"].as<std::uint32_t>();
  out.crypto = CryptoScheme::ed25519;
}

NodeEntry parse_node(const YAML::Node& n, std::size_t index) {
  NodeEntry e;
  e.id = NodeId(n["id"].as<std::uint32_t>());
  if (e.id.value != index) throw ConfigError("node ids must be 0..n-1 in order");
  std::string address = n["address"].as<std::string>("");
  auto colon = address.rfind(':');
  if (colon == std::string::npos) throw ConfigError("node address must be host:port");
  e.host = address.substr(0, colon);
  int port = std::stoi(address.substr(colon + 1));
  if (port <= 0 || port > 65535) throw ConfigError("node port out of range");
  e.port = static_cast<std::uint16_t>(port);
  e.public_key = parse_key(n["public_key"], "node " + std::to_string(e.id.value));
  return e;
}

ClusterFile parse_cluster(const YAML::Node& root, const std::filesystem::path& path) {
  ClusterFile c;
  parse_params(root["protocol"], c.params);
  const YAML::Node nodes = root["nodes"];
  if (!nodes || !nodes.IsSequence() || nodes.size() < 1) throw ConfigError("missing 'nodes'");
  for (std::size_t i = 0; i < nodes.size(); ++i) c.nodes.push_back(parse_node(nodes[i], i));
  c.params.nodes = static_cast<std::uint32_t>(c.nodes.size());
  if (const YAML::Node clients = root["clients"]) {
    for (const auto& n : clients) {
      ClientId id(n["id"].as<std::uint32_t>());
      c.clients[id] = parse_key(n["public_key"], "client " + std::to_string(id.value));
    }
  }
  std::string key_dir = root["key_dir"].as<std::string>(".");
  c.key_dir = path.parent_path() / key_dir;
  std::string client_auth = root["client_auth"].as<std::string>("mac");
  if (client_auth != "mac" && client_auth != "signature")
    throw ConfigError("client_auth must be 'mac' or 'signature', not '" + client_auth + "'");
  c.client_macs = client_auth == "mac";
  if (const YAML::Node limit = root["max_datagram"])  // a list or a map reads as ''
    c.max_datagram_bytes =
        parse_max_datagram(limit.IsScalar() ? limit.Scalar() : std::string(), "max_datagram");
  return c;
}

}  // namespace

Duration parse_duration(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    throw ConfigError("malformed duration '" + text + "'");
  }
  std::string unit = text.substr(used);
  double scale = unit == "ns"   ? 1
                 : unit == "us" ? 1e3
                 : unit == "ms" ? 1e6
                 : unit == "s"  ? 1e9
                                : -1;
  if (scale < 0 || !std::isfinite(value) || value < 0 || value * scale > 1e15)
    throw ConfigError("malformed duration '" + text + "' (e.g. 250us, 2ms, 1.5s)");
  return Duration::nanos(static_cast<std::int64_t>(value * scale));
}

std::size_t parse_max_datagram(const std::string& text, const std::string& what) {
  std::string range = fmt::format(
      "{} must be a whole number of bytes from {} (frame header, tag and the fragment size "
      "that fits a {} MiB message in {} fragments) to {}; ~1400 for a 1,500-byte MTU",
      what, kMinDatagramBytes, kMaxNetMessageBytes >> 20, kMaxFragments, kMaxDatagramBytes);
  bool digits =
      !text.empty() && text.size() <= 9 &&
      std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  if (!digits) throw ConfigError(range + ", not '" + text + "'");
  std::size_t value = std::stoul(text);
  if (value < kMinDatagramBytes || value > kMaxDatagramBytes)
    throw ConfigError(range + ", not '" + text + "'");
  return value;
}

const NodeEntry* ClusterFile::node(NodeId id) const {
  return id.value < nodes.size() ? &nodes[id.value] : nullptr;
}

std::map<Principal, PublicKey> ClusterFile::directory() const {
  std::map<Principal, PublicKey> d;
  for (const auto& n : nodes) d[Principal::replica(n.id)] = n.public_key;
  for (const auto& [id, key] : clients) d[Principal::client(id)] = key;
  return d;
}

std::shared_ptr<const Signer> ClusterFile::signer(Principal self,
                                                  const Ed25519KeyPair& keys) const {
  std::shared_ptr<const Signer> base = make_ed25519_signer(self, keys);
  if (!client_macs) return base;
  // Derives every key it will need now (replicas with clients, clients with replicas).
  auto session = std::make_shared<Ed25519SessionKeys>(self, keys, directory());
  return with_session_keys(std::move(base), std::move(session));
}

std::shared_ptr<Ed25519Verifier> ClusterFile::verifier() const {
  auto v = std::make_shared<Ed25519Verifier>();
  for (const auto& [p, key] : directory()) v->add(p, key);
  return v;
}

ClusterFile load_cluster_file(const std::filesystem::path& path) {
  try {
    return parse_cluster(YAML::LoadFile(path.string()), path);
  } catch (const ConfigError& e) {
    throw ConfigError(path.string() + ": " + e.what());
  } catch (const YAML::Exception& e) {
    throw ConfigError(path.string() + ": " + e.what());
  } catch (const std::exception& e) {  // stoi and friends on malformed numbers
    throw ConfigError(path.string() + ": malformed value (" + e.what() + ")");
  }
}

std::string render_cluster_file(const ClusterFile& c) {
  std::ostringstream o;
  const ProtocolParams& p = c.params;
  o << "# knhk cluster file (written by knhk keygen). Secret keys: node-I.key, client-C.key\n"
    << "protocol:\n"
    << "  kind: " << to_string(p.kind) << "\n"
    << "  batch_size: " << p.batch_size << "\n"
    << "  batch_timeout: " << to_string(p.batch_timeout) << "\n"
    << "  checkpoint_interval: " << p.checkpoint_interval << "\n"
    << "  log_window: " << p.log_window << "\n"
    << "  view_timeout: " << to_string(p.view_timeout) << "\n"
    << "  snapshot_interval: " << p.snapshot_interval << "\n"
    << "  app: " << to_string(p.app) << "\n"
    << "  keys: " << p.keys << "\n"
    << "crypto: ed25519\n"
    << "client_auth: " << (c.client_macs ? "mac" : "signature") << "\n"
    << "# largest UDP datagram each process sends (bytes; ~1400 on a 1,500-byte-MTU network)\n"
    << "max_datagram: " << c.max_datagram_bytes << "\n"
    << "key_dir: .\n"
    << "nodes:\n";
  for (const auto& n : c.nodes)
    o << "  - id: " << n.id.value << "\n    address: " << n.host << ":" << n.port
      << "\n    public_key: " << to_hex(n.public_key) << "\n";
  o << "clients:\n";
  for (const auto& [id, key] : c.clients)
    o << "  - id: " << id.value << "\n    public_key: " << to_hex(key) << "\n";
  return o.str();
}

}  // namespace knhk::net
