// A real cluster of `knhk node` processes on loopback for the end-to-end tests of
// issue 7: keys and cluster file from net::keygen on free ports, one process per node
// (the binary named by KNHK_BINARY), SIGKILL and restart, state read from each node's
// metrics endpoint. The destructor kills whatever is still running.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "net/metrics_server.hpp"
#include "net/node_runner.hpp"
#include "net/udp_client.hpp"
#include "net_test_support.hpp"

namespace knhk::net::test {

inline std::uint16_t free_tcp_port() {
  return free_port_range(1);
}

// The whole text of a node's log file.
inline std::string whole(const std::filesystem::path& log) {
  std::ifstream in(log);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// What a node's metrics say about its replicated state.
struct NodeState {
  std::uint64_t position = 0;
  std::string state_hash;
  std::uint64_t dropped = 0;
  std::uint64_t view = 0;
};

inline std::optional<NodeState> parse_state(const std::string& metrics) {
  NodeState s;
  bool found = false;
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("knhk_state_hash{", 0) == 0) {
      auto p = line.find("position=\"") + 10;
      s.position = std::stoull(line.substr(p, line.find('"', p) - p));
      auto h = line.find("hash=\"") + 6;
      s.state_hash = line.substr(h, line.find('"', h) - h);
      found = true;
    }
    if (line.rfind("knhk_view ", 0) == 0) s.view = std::stoull(line.substr(10));
    if (line.rfind("knhk_datagrams_dropped_total{", 0) == 0)
      s.dropped += std::stoull(line.substr(line.rfind(' ') + 1));
  }
  return found ? std::optional(s) : std::nullopt;
}

class ProcessCluster {
 public:
  // `max_datagram`: the cluster file's max_datagram (absent: the default, 65,000).
  ProcessCluster(ProtocolKind protocol, std::uint32_t n, const std::string& name,
                 std::optional<std::size_t> max_datagram = std::nullopt)
      : dir_(temp_dir(name)) {
    // ctest sets KNHK_BINARY; run by hand, use the knhk built beside this test binary.
    const char* binary = std::getenv("KNHK_BINARY");
    binary_ = binary
                  ? std::string(binary)
                  : (std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() /
                     "cli" / "knhk")
                        .string();
    KeygenOptions k;
    k.nodes = n;
    k.params = default_real_params(protocol);
    k.params.view_timeout = Duration::millis_(500);
    k.clients = 32;
    k.out = dir_;
    if (max_datagram) k.max_datagram_bytes = *max_datagram;
    ClusterFile c = keygen(k);
    for (auto& node : c.nodes)
      node.port = free_udp_port();  // not keygen's fixed range: tests run in parallel
    std::ofstream(dir_ / "cluster.yaml") << render_cluster_file(c);
    cluster_ = load_cluster_file(dir_ / "cluster.yaml");
    for (std::uint32_t i = 0; i < n; ++i) metrics_ports_.push_back(free_tcp_port());
    pids_.assign(n, -1);
  }

  ~ProcessCluster() {
    for (std::uint32_t i = 0; i < pids_.size(); ++i) kill_node(i);
    std::error_code ignored;
    if (!std::getenv("KNHK_KEEP_TEST_DIRS")) std::filesystem::remove_all(dir_, ignored);
  }

  const ClusterFile& cluster() const { return cluster_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path log(std::uint32_t i) const {
    return dir_ / ("node-" + std::to_string(i) + ".log");
  }

  void start_node(std::uint32_t i) {
    std::vector<std::string> args = {
        binary_,          "node",
        "--cluster",      (dir_ / "cluster.yaml").string(),
        "--id",           std::to_string(i),
        "--data",         (dir_ / ("data-" + std::to_string(i))).string(),
        "--metrics-port", std::to_string(metrics_ports_[i])};
    if (auto extra = node_args_.find(i); extra != node_args_.end())
      args.insert(args.end(), extra->second.begin(), extra->second.end());
    std::string log_path = log(i).string();
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    pids_[i] = pid;
  }
  void start_all() {
    for (std::uint32_t i = 0; i < pids_.size(); ++i) start_node(i);
  }
  void kill_node(std::uint32_t i) {
    if (pids_[i] <= 0) return;
    ::kill(pids_[i], SIGKILL);
    ::waitpid(pids_[i], nullptr, 0);
    pids_[i] = -1;
  }
  // SIGTERM and wait for a clean exit; returns the exit status (or -1 on timeout).
  int stop_node(std::uint32_t i) {
    if (pids_[i] <= 0) return -1;
    ::kill(pids_[i], SIGTERM);
    for (int k = 0; k < 250; ++k) {
      int status = 0;
      if (::waitpid(pids_[i], &status, WNOHANG) == pids_[i]) {
        pids_[i] = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill_node(i);
    return -1;
  }
  bool running(std::uint32_t i) {
    return pids_[i] > 0 && ::waitpid(pids_[i], nullptr, WNOHANG) == 0;
  }

  // Extra command-line words for node i from its next start on (e.g. --max-datagram).
  void set_node_args(std::uint32_t i, std::vector<std::string> args) {
    node_args_[i] = std::move(args);
  }

  std::optional<NodeState> state(std::uint32_t i) const {
    auto text = metrics(i);
    return text ? parse_state(*text) : std::nullopt;
  }
  std::optional<std::string> metrics(std::uint32_t i) const {
    try {
      return http_get("127.0.0.1", metrics_ports_[i], "/metrics", 1000);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  // Waits until every listed node answers its metrics endpoint.
  bool wait_ready(const std::vector<std::uint32_t>& nodes, std::chrono::seconds limit) {
    return wait_for(
        [&] {
          for (auto i : nodes)
            if (!state(i)) return false;
          return true;
        },
        limit);
  }
  // Waits until the listed nodes report the same position (>= min) and the same state hash.
  bool wait_converged(const std::vector<std::uint32_t>& nodes, std::uint64_t min_position,
                      std::chrono::seconds limit) {
    return wait_for(
        [&] {
          std::optional<NodeState> first;
          for (auto i : nodes) {
            auto s = state(i);
            if (!s || s->position < min_position) return false;
            if (!first) first = s;
            if (s->position != first->position || s->state_hash != first->state_hash) return false;
          }
          return true;
        },
        limit);
  }

  // `max_datagram` overrides the cluster file's for the client (as --max-datagram does).
  ClientReport run_load(std::uint64_t requests, std::uint32_t first_client = 0,
                        std::uint32_t concurrency = 16,
                        std::optional<std::size_t> max_datagram = std::nullopt) const {
    ClientOptions o;
    o.cluster = cluster_;
    o.max_datagram_bytes = max_datagram;
    o.first_client = first_client;
    o.concurrency = concurrency;
    o.requests = requests;
    o.request_timeout = Duration::millis_(500);
    o.stall_timeout = Duration::secs(30);
    o.time_limit = Duration::secs(120);
    o.make_operation = default_operations(cluster_.params.app, cluster_.params.keys);
    return run_client(o);
  }

  template <class Pred>
  static bool wait_for(Pred done, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
  }

 private:
  std::filesystem::path dir_;
  std::string binary_;
  ClusterFile cluster_;
  std::vector<std::uint16_t> metrics_ports_;
  std::vector<pid_t> pids_;
  std::map<std::uint32_t, std::vector<std::string>> node_args_;
};

}  // namespace knhk::net::test
