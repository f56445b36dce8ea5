// The real-node commands through the CLI dispatcher: outputs, files and exit codes.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/commands.hpp"
#include "net/cluster_file.hpp"
#include "net/metrics_server.hpp"
#include "net_test_support.hpp"

using namespace knhk;

namespace {

struct Run {
  int code;
  std::string out, err;
};

Run knhk_cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = cli::dispatch(args, {out, err});
  return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("knhk keygen writes private keys and a loadable cluster file", "[net][cli]") {
  auto dir = net::test::temp_dir("keygen-cli");
  Run r = knhk_cli({"keygen", "--nodes", "7", "--protocol", "hotstuff", "--base-port", "7100",
                    "--clients", "3", "--out", dir.string()});
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("wrote 7 node keys, 3 client keys"));
  net::ClusterFile c = net::load_cluster_file(dir / "cluster.yaml");
  CHECK(c.params.kind == ProtocolKind::hotstuff);
  REQUIRE(c.nodes.size() == 7);
  CHECK(c.nodes[6].port == 7106);
  CHECK(c.nodes[6].host == "127.0.0.1");
  CHECK(c.clients.size() == 3);
  for (std::uint32_t i = 0; i < 7; ++i) {
    auto path = net::node_key_path(dir, NodeId(i));
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(net::load_key_file(path).keys.public_key == c.nodes[i].public_key);
  }
  CHECK(net::load_key_file(net::client_key_path(dir, ClientId(2))).keys.public_key ==
        c.clients.at(ClientId(2)));
}

TEST_CASE("real-node commands reject bad input with exit code 2", "[net][cli]") {
  auto dir = net::test::temp_dir("bad-cli");
  CHECK(knhk_cli({"keygen", "--protocol", "raft", "--out", dir.string()}).code == 2);
  CHECK(knhk_cli({"keygen", "--nodes", "3", "--protocol", "pbft", "--out", dir.string()}).code ==
        2);
  Run missing = knhk_cli({"node", "--cluster", (dir / "nope.yaml").string(), "--id", "0"});
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Catch::Contains("nope.yaml"));
  REQUIRE(knhk_cli({"keygen", "--protocol", "pbft", "--out", dir.string()}).code == 0);
  CHECK(knhk_cli({"node", "--cluster", (dir / "cluster.yaml").string(), "--id", "9"}).code == 2);
  // A key file that does not belong to the node it is used for.
  std::filesystem::copy_file(net::node_key_path(dir, NodeId(1)), net::node_key_path(dir, NodeId(0)),
                             std::filesystem::copy_options::overwrite_existing);
  Run wrong_key = knhk_cli({"node", "--cluster", (dir / "cluster.yaml").string(), "--id", "0"});
  CHECK(wrong_key.code == 2);
  CHECK_THAT(wrong_key.err, Catch::Contains("does not match"));
  CHECK(knhk_cli({"client", "--cluster", (dir / "cluster.yaml").string()}).code == 2);
  CHECK(knhk_cli({"client", "--cluster", (dir / "cluster.yaml").string(), "--requests", "5",
                  "--concurrency", "65"})
            .code == 2);  // only 64 client identities exist
  CHECK(knhk_cli({"cluster", "sideways"}).code == 2);
}

TEST_CASE("knhk cluster up, status and down manage local node processes", "[net][cli][process]") {
  if (!std::getenv("KNHK_BINARY")) {
    WARN("KNHK_BINARY not set (ctest sets it): using the knhk beside this binary");
    static std::string path =
        (std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() / "cli" /
         "knhk")
            .string();
    ::setenv("KNHK_BINARY", path.c_str(), 0);
  }
  auto dir = net::test::temp_dir("cluster-cli");
  std::uint16_t base = net::test::free_port_range(4);
  std::uint16_t metrics = net::test::free_port_range(4);
  Run up =
      knhk_cli({"cluster", "up", "--dir", dir.string(), "--protocol", "hotstuff", "--base-port",
                std::to_string(base), "--metrics-base-port", std::to_string(metrics)});
  INFO(up.out << up.err);
  Run status{}, down{};
  bool answered = false;
  for (int k = 0; k < 100 && !answered; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = knhk_cli({"cluster", "status", "--dir", dir.string()});
    answered = status.out.find("not answering") == std::string::npos;
  }
  down = knhk_cli({"cluster", "down", "--dir", dir.string()});
  CHECK(up.code == 0);
  CHECK_THAT(up.out, Catch::Contains("node 3: pid"));
  INFO(status.out);
  CHECK(answered);
  CHECK_THAT(status.out, !Catch::Contains("not running"));
  CHECK_THAT(status.out, Catch::Contains("node 3: pid") && Catch::Contains("committed 0"));
  CHECK(down.code == 0);
  CHECK_THAT(down.out, Catch::Contains("stopped"));
  Run after = knhk_cli({"cluster", "status", "--dir", dir.string()});
  CHECK_THAT(after.out, Catch::Contains("node 0: not running"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("knhk cluster up --max-datagram passes the limit to the nodes and the cluster file",
          "[net][cli][process][mtu]") {
  if (!std::getenv("KNHK_BINARY")) {
    static std::string path =
        (std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() / "cli" /
         "knhk")
            .string();
    ::setenv("KNHK_BINARY", path.c_str(), 0);
  }
  auto dir = net::test::temp_dir("cluster-cli-mtu");
  std::uint16_t base = net::test::free_port_range(4);
  std::uint16_t metrics = net::test::free_port_range(4);
  Run up = knhk_cli({"cluster", "up", "--dir", dir.string(), "--protocol", "pbft", "--base-port",
                     std::to_string(base), "--metrics-base-port", std::to_string(metrics),
                     "--max-datagram", "1400"});
  INFO(up.out << up.err);
  std::vector<std::optional<std::uint64_t>> limits(4);
  for (int k = 0; k < 100; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    bool all = true;
    for (std::uint16_t i = 0; i < 4; ++i) {
      try {
        std::string text =
            net::http_get("127.0.0.1", static_cast<std::uint16_t>(metrics + i), "/metrics", 1000);
        limits[i] = net::test::metric_value(text, "knhk_max_datagram_bytes");
      } catch (const std::exception&) {
        all = false;
      }
    }
    if (all) break;
  }
  Run down = knhk_cli({"cluster", "down", "--dir", dir.string()});
  CHECK(up.code == 0);
  for (std::uint16_t i = 0; i < 4; ++i) CHECK(limits[i] == 1400u);
  // A cluster file created by `up` says so too, so `knhk client` against it follows.
  CHECK(net::load_cluster_file(dir / "cluster.yaml").max_datagram_bytes == 1400);
  CHECK(down.code == 0);
  std::filesystem::remove_all(dir);
}
