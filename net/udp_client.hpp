// The load-generating client of `knhk client`: several client identities (one request
// outstanding each, as replicas keep one reply per client) driven by the sans-I/O
// knhk::ClientCore over one UDP socket. Prints a progress line each second and returns
// throughput and latency percentiles.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "net/cluster_file.hpp"
#include "net/drop_reason.hpp"

namespace knhk::net {

struct ClientOptions {
  ClusterFile cluster;
  std::uint32_t first_client = 0;
  std::uint32_t concurrency = 1;  // identities first_client .. first_client + concurrency - 1
  std::optional<std::uint64_t> requests;  // stop after this many completions ...
  std::optional<Duration> duration;       // ... or after this long
  // Overrides the cluster file's max_datagram for what this process sends.
  std::optional<std::size_t> max_datagram_bytes;
  double rate = 0;  // submissions per second over all identities; 0: closed loop
  Duration request_timeout = Duration::secs(1);
  // Give up when nothing completes for this long (a dead cluster must not hang us).
  Duration stall_timeout = Duration::secs(30);
  // Stop after this long whatever happens (tests bound their own time with it).
  std::optional<Duration> time_limit;
  // Operation bytes for the i-th request of the run.
  std::function<Bytes(std::uint64_t)> make_operation;
  std::ostream* progress = nullptr;  // progress lines, once a second
};

struct ClientReport {
  std::uint64_t submitted = 0;
  std::uint64_t completed = 0;
  std::uint64_t retransmissions = 0;
  double seconds = 0;
  std::vector<double> latency_ms;  // sorted
  std::map<std::string, std::uint64_t> rejected_replies;
  DropCounters drops;
  std::size_t largest_datagram_sent = 0;  // bytes; at most the send limit
  bool stalled = false;

  double throughput() const { return seconds > 0 ? static_cast<double>(completed) / seconds : 0; }
  double percentile(double p) const;  // p in [0, 1]; 0 when nothing completed
  std::string summary() const;        // the final lines `knhk client` prints
};

// Runs the load until done; throws ConfigError for missing client keys.
ClientReport run_client(const ClientOptions& options);

// The default workload for an application: kv puts over the key space, bank transfers,
// or opaque bytes for noop.
std::function<Bytes(std::uint64_t)> default_operations(AppKind app, std::uint32_t keys);

}  // namespace knhk::net
