// `knhk node`: one replica over real UDP until SIGINT/SIGTERM (net/node_runner.hpp).
#include "cli/commands.hpp"
#include "cli/net_options.hpp"
#include "net/cluster_file.hpp"
#include "net/node_runner.hpp"

namespace knhk::cli {
namespace {
namespace po = boost::program_options;

int node_command(const std::vector<std::string>& args, CommandIo io) {
  po::options_description opts("options");
  std::string cluster, data;
  std::uint32_t id = 0;
  opts.add_options()("cluster", po::value(&cluster)->required(), "cluster file from keygen")(
      "id", po::value(&id)->required(), "this node's id")(
      "data", po::value(&data), "data directory (durable log); restart recovers from it")(
      "metrics-port", po::value<std::uint16_t>(), "serve Prometheus metrics over HTTP here")(
      "no-fsync", "do not fdatasync the log: survives SIGKILL, not power loss");
  net::NodeOptions o;
  add_max_datagram_option(opts, o.max_datagram_bytes,
                          "largest datagram this node sends (overrides the cluster file's "
                          "max_datagram; 1400 on a 1,500-byte-MTU network)");
  po::variables_map vm;
  const char* synopsis =
      "knhk node --cluster FILE --id I [--data DIR] [--metrics-port P] [--max-datagram BYTES]";
  if (auto code = parse_options("node", synopsis, args, opts, {}, vm, io)) return *code;
  o.cluster_file = cluster;
  o.id = NodeId(id);
  if (!data.empty()) o.data_dir = data;
  o.fsync = vm.count("no-fsync") == 0;
  if (vm.count("metrics-port")) o.metrics_port = vm["metrics-port"].as<std::uint16_t>();
  try {
    return net::run_node(o, io.out);
  } catch (const net::ConfigError& e) {
    io.err << "knhk node: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {  // cannot bind, cannot write the data directory, ...
    io.err << "knhk node: " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace

KNHK_COMMAND(node, "run one replica over UDP (from a keygen cluster file)", node_command);

}  // namespace knhk::cli
