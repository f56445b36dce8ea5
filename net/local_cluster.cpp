#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "net/metrics_server.hpp"
#include "net/node_runner.hpp"

namespace knhk::net {
namespace fs = std::filesystem;

namespace {

fs::path pid_file(const fs::path& dir, std::uint32_t i) {
  return dir / ("node-" + std::to_string(i) + ".pid");
}

// Starts `knhk node` detached from the terminal, output to dir/node-I.log.
pid_t spawn_node(const LocalClusterOptions& o, const fs::path& cluster, std::uint32_t i) {
  std::vector<std::string> args = {o.knhk_binary.string(),
                                   "node",
                                   "--cluster",
                                   cluster.string(),
                                   "--id",
                                   std::to_string(i),
                                   "--data",
                                   (o.dir / ("data-" + std::to_string(i))).string(),
                                   "--metrics-port",
                                   std::to_string(o.metrics_base_port + i)};
  if (!o.fsync) args.push_back("--no-fsync");
  if (o.max_datagram_bytes) {
    args.push_back("--max-datagram");
    args.push_back(std::to_string(*o.max_datagram_bytes));
  }
  std::string log = (o.dir / ("node-" + std::to_string(i) + ".log")).string();
  // Built before fork(): the child of a multi-threaded process may only make
  // async-signal-safe calls before exec, and allocating is not one.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::setsid();
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0;
}

}  // namespace

int local_cluster_up(const LocalClusterOptions& o, std::ostream& out) {
  fs::create_directories(o.dir);
  fs::path cluster = o.dir / "cluster.yaml";
  if (!fs::exists(cluster)) {
    KeygenOptions k;
    k.nodes = o.nodes;
    k.params = default_real_params(o.protocol);
    k.base_port = o.base_port;
    k.out = o.dir;
    if (o.max_datagram_bytes) k.max_datagram_bytes = *o.max_datagram_bytes;
    keygen(k);
    out << "keys and " << cluster.string() << " written\n";
  }
  ClusterFile c = load_cluster_file(cluster);
  std::ofstream(o.dir / "metrics-base-port") << o.metrics_base_port << "\n";
  std::vector<pid_t> pids;
  for (std::uint32_t i = 0; i < c.nodes.size(); ++i) {
    if (fs::exists(pid_file(o.dir, i))) {
      pid_t old = 0;
      std::ifstream(pid_file(o.dir, i)) >> old;
      if (old > 0 && alive(old))
        throw ConfigError("node " + std::to_string(i) + " already running (pid " +
                          std::to_string(old) + "); cluster down first");
    }
    pid_t pid = spawn_node(o, cluster, i);
    std::ofstream(pid_file(o.dir, i)) << pid << "\n";
    pids.push_back(pid);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int failed = 0;
  for (std::uint32_t i = 0; i < pids.size(); ++i) {
    int status = 0;
    if (::waitpid(pids[i], &status, WNOHANG) == pids[i]) {
      out << "node " << i << " exited at start; see "
          << (o.dir / ("node-" + std::to_string(i) + ".log")).string() << "\n";
      ++failed;
      continue;
    }
    out << "node " << i << ": pid " << pids[i] << ", udp " << c.nodes[i].host << ":"
        << c.nodes[i].port << ", metrics http://127.0.0.1:" << o.metrics_base_port + i
        << "/metrics\n";
  }
  return failed == 0 ? 0 : 1;
}

int local_cluster_status(const fs::path& dir, std::ostream& out) {
  ClusterFile c = load_cluster_file(dir / "cluster.yaml");
  std::uint16_t metrics_base = 9100;
  std::ifstream(dir / "metrics-base-port") >> metrics_base;
  for (std::uint32_t i = 0; i < c.nodes.size(); ++i) {
    pid_t pid = 0;
    std::ifstream(pid_file(dir, i)) >> pid;
    out << "node " << i << ": ";
    if (pid <= 0 || !alive(pid)) {
      out << "not running\n";
      continue;
    }
    std::string view = "?", position = "?", hash = "?";
    try {
      std::istringstream metrics(
          http_get("127.0.0.1", static_cast<std::uint16_t>(metrics_base + i), "/metrics", 1000));
      for (std::string line; std::getline(metrics, line);) {
        if (line.rfind("knhk_view ", 0) == 0) view = line.substr(10);
        if (line.rfind("knhk_committed_position ", 0) == 0) position = line.substr(24);
        if (auto h = line.find("hash=\""); line.rfind("knhk_state_hash{", 0) == 0)
          hash = line.substr(h + 6, 16);
      }
    } catch (const std::exception&) {
      out << "pid " << pid << ", metrics not answering\n";
      continue;
    }
    out << "pid " << pid << "  view " << view << "  committed " << position << "  state " << hash
        << "...\n";
  }
  return 0;
}

int local_cluster_down(const fs::path& dir, std::ostream& out) {
  std::vector<std::pair<fs::path, pid_t>> running;
  for (std::uint32_t i = 0; i < 1024; ++i) {
    fs::path p = pid_file(dir, i);
    if (!fs::exists(p)) continue;
    pid_t pid = 0;
    std::ifstream(p) >> pid;
    if (pid > 0 && alive(pid)) {
      ::kill(pid, SIGTERM);
      running.emplace_back(p, pid);
    } else {
      fs::remove(p);
    }
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (auto& [path, pid] : running) {
    while (alive(pid) && std::chrono::steady_clock::now() < deadline) {
      ::waitpid(pid, nullptr, WNOHANG);  // reaps it if it happens to be our child
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (alive(pid)) {
      ::kill(pid, SIGKILL);
      out << "pid " << pid << " did not stop in 5 s: killed\n";
    } else {
      out << "pid " << pid << " stopped\n";
    }
    fs::remove(path);
  }
  if (running.empty()) out << "no running nodes under " << dir.string() << "\n";
  return 0;
}

}  // namespace knhk::net
