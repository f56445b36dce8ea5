// `knhk cluster up|down`: N local nodes as background processes, for trying it out.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/net_options.hpp"
#include "net/cluster_file.hpp"
#include "net/node_runner.hpp"

namespace knhk::cli {
namespace {
namespace po = boost::program_options;

int cluster_command(const std::vector<std::string>& args, CommandIo io) {
  po::options_description opts("options");
  std::string action, protocol, dir;
  net::LocalClusterOptions o;
  opts.add_options()("action", po::value(&action)->required(), "up | status | down")(
      "nodes", po::value(&o.nodes)->default_value(4), "number of replicas")(
      "protocol", po::value(&protocol)->default_value("pbft"), "pbft | hotstuff")(
      "base-port", po::value(&o.base_port)->default_value(7000), "node I uses UDP base-port + I")(
      "metrics-base-port", po::value(&o.metrics_base_port)->default_value(9100),
      "node I serves metrics on this + I")("dir", po::value(&dir)->default_value("knhk-cluster"),
                                           "keys, logs, pid files, data")(
      "no-fsync", "start nodes with --no-fsync (survive SIGKILL, not power loss)");
  add_max_datagram_option(opts, o.max_datagram_bytes,
                          "start nodes with --max-datagram BYTES (and write it into a cluster "
                          "file created now)");
  po::positional_options_description positional;
  positional.add("action", 1);
  po::variables_map vm;
  const char* synopsis =
      "knhk cluster up --nodes N --protocol P [--base-port P] [--dir D] [--max-datagram BYTES] | "
      "knhk cluster down [--dir D]";
  if (auto code = parse_options("cluster", synopsis, args, opts, positional, vm, io)) return *code;
  o.dir = dir;
  o.fsync = vm.count("no-fsync") == 0;
  try {
    if (action == "down") return net::local_cluster_down(o.dir, io.out);
    if (action == "status") return net::local_cluster_status(o.dir, io.out);
    if (action != "up") {
      io.err << "knhk cluster: unknown action '" << action << "' (up, status or down)\n";
      return kExitUsage;
    }
    if (protocol != "pbft" && protocol != "hotstuff") {
      io.err << "knhk cluster: --protocol must be pbft or hotstuff\n";
      return kExitUsage;
    }
    o.protocol = protocol == "pbft" ? ProtocolKind::pbft : ProtocolKind::hotstuff;
    // The nodes run this very binary (KNHK_BINARY overrides it, e.g. from a test binary).
    const char* binary = std::getenv("KNHK_BINARY");
    o.knhk_binary =
        binary ? std::filesystem::path(binary) : std::filesystem::read_symlink("/proc/self/exe");
    return net::local_cluster_up(o, io.out);
  } catch (const std::exception& e) {
    io.err << "knhk cluster: " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace

KNHK_COMMAND(cluster, "start or stop N local nodes (knhk cluster up|down)", cluster_command);

}  // namespace knhk::cli
