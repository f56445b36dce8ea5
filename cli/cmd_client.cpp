// `knhk client`: load against real nodes, f+1 matching replies, throughput and latency.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/net_options.hpp"
#include "net/cluster_file.hpp"
#include "net/udp_client.hpp"

namespace knhk::cli {
namespace {
namespace po = boost::program_options;

int client_command(const std::vector<std::string>& args, CommandIo io) {
  po::options_description opts("options");
  std::string cluster, duration, timeout;
  net::ClientOptions o;
  opts.add_options()("cluster", po::value(&cluster)->required(), "cluster file from keygen")(
      "requests", po::value<std::uint64_t>(), "stop after N completed requests")(
      "duration", po::value(&duration), "or run for this long (e.g. 10s)")(
      "rate", po::value(&o.rate)->default_value(0),
      "requests/s over all identities (0: closed loop)")(
      "concurrency", po::value(&o.concurrency)->default_value(16),
      "client identities, one outstanding request each")(
      "first-client", po::value(&o.first_client)->default_value(0), "first client identity")(
      "request-timeout", po::value(&timeout)->default_value("1s"), "retransmit after this")(
      "quiet", "no progress line");
  add_max_datagram_option(opts, o.max_datagram_bytes,
                          "largest datagram this client sends (overrides the cluster file's "
                          "max_datagram)");
  po::variables_map vm;
  const char* synopsis =
      "knhk client --cluster FILE --requests N | --duration S [--rate R] [--concurrency C] "
      "[--max-datagram BYTES]";
  if (auto code = parse_options("client", synopsis, args, opts, {}, vm, io)) return *code;
  if (vm.count("requests") == (duration.empty() ? 0u : 1u)) {
    io.err << "knhk client: give exactly one of --requests and --duration\n";
    return kExitUsage;
  }
  try {
    o.cluster = net::load_cluster_file(cluster);
    if (vm.count("requests")) o.requests = vm["requests"].as<std::uint64_t>();
    if (!duration.empty()) o.duration = net::parse_duration(duration);
    o.request_timeout = net::parse_duration(timeout);
    if (o.concurrency == 0) throw net::ConfigError("--concurrency must be at least 1");
    o.make_operation = net::default_operations(o.cluster.params.app, o.cluster.params.keys);
    if (!vm.count("quiet")) o.progress = &io.err;
    net::ClientReport r = net::run_client(o);
    io.out << r.summary() << "\n";
    return r.stalled || (o.requests && r.completed < *o.requests) ? kExitFailed : kExitOk;
  } catch (const net::ConfigError& e) {
    io.err << "knhk client: " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace

KNHK_COMMAND(client, "send requests to real nodes and report throughput/latency", client_command);

}  // namespace knhk::cli
