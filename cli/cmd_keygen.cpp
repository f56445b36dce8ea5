// `knhk keygen`: ed25519 keys and the cluster file for real nodes (net/node_runner.hpp).
#include "cli/commands.hpp"
#include "cli/net_options.hpp"
#include "net/cluster_file.hpp"
#include "net/node_runner.hpp"

namespace knhk::cli {
namespace {
namespace po = boost::program_options;

int keygen_command(const std::vector<std::string>& args, CommandIo io) {
  po::options_description opts("options");
  std::string protocol, out, host, app, batch_timeout, view_timeout, client_auth;
  net::KeygenOptions k;
  opts.add_options()("nodes", po::value(&k.nodes)->default_value(4), "number of replicas (>= 4)")(
      "protocol", po::value(&protocol)->required(), "pbft | hotstuff")(
      "host", po::value(&k.host)->default_value("127.0.0.1"), "address of every node")(
      "base-port", po::value(&k.base_port)->default_value(7000), "node I listens on base-port + I")(
      "clients", po::value(&k.clients)->default_value(64), "client identities to create")(
      "batch-size", po::value<std::uint32_t>(), "requests per batch/block (default 100)")(
      "batch-timeout", po::value(&batch_timeout), "propose a partial batch after this (2ms)")(
      "view-timeout", po::value(&view_timeout), "view change timeout (1s)")(
      "client-auth", po::value(&client_auth)->default_value("mac"),
      "client requests/replies: mac (MAC authenticators) | signature (ed25519)")(
      "app", po::value(&app), "kv | bank | noop (kv)")("out", po::value(&out)->required(),
                                                       "directory for the keys and cluster.yaml");
  std::optional<std::size_t> max_datagram;
  add_max_datagram_option(opts, max_datagram,
                          "max_datagram of the cluster file: largest datagram every process "
                          "sends (default 65000; 1400 on a 1,500-byte-MTU network)");
  po::variables_map vm;
  const char* synopsis =
      "knhk keygen --nodes N --protocol pbft|hotstuff [--host H] [--base-port P] "
      "[--max-datagram BYTES] --out DIR";
  if (auto code = parse_options("keygen", synopsis, args, opts, {}, vm, io)) return *code;
  if (protocol != "pbft" && protocol != "hotstuff") {
    io.err << "knhk keygen: --protocol must be pbft or hotstuff\n";
    return kExitUsage;
  }
  if (client_auth != "mac" && client_auth != "signature") {
    io.err << "knhk keygen: --client-auth must be mac or signature\n";
    return kExitUsage;
  }
  k.client_macs = client_auth == "mac";
  if (max_datagram) k.max_datagram_bytes = *max_datagram;
  try {
    k.params =
        net::default_real_params(protocol == "pbft" ? ProtocolKind::pbft : ProtocolKind::hotstuff);
    if (vm.count("batch-size")) k.params.batch_size = vm["batch-size"].as<std::uint32_t>();
    if (!batch_timeout.empty()) k.params.batch_timeout = net::parse_duration(batch_timeout);
    if (!view_timeout.empty()) k.params.view_timeout = net::parse_duration(view_timeout);
    if (!app.empty())
      k.params.app = app == "bank" ? AppKind::bank : app == "noop" ? AppKind::noop : AppKind::kv;
    k.out = out;
    net::ClusterFile c = net::keygen(k);
    io.out << "wrote " << c.nodes.size() << " node keys, " << c.clients.size()
           << " client keys and " << (k.out / "cluster.yaml").string() << "\n";
    for (const auto& n : c.nodes)
      io.out << "  node " << n.id.value << "  " << n.host << ":" << n.port << "  "
             << net::to_hex(n.public_key).substr(0, 16) << "...\n";
  } catch (const std::exception& e) {
    io.err << "knhk keygen: " << e.what() << "\n";
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace

KNHK_COMMAND(keygen, "create ed25519 keys and a cluster file for real nodes", keygen_command);

}  // namespace knhk::cli
