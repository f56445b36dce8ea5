// The real-node commands through the CLI dispatcher: outputs, files and exit codes.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "net/cluster_file.hpp"
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
