// `--max-datagram BYTES` on the commands that send datagrams (node, client, cluster up,
// keygen): bad values are usage errors naming the accepted range, good ones reach the
// cluster file or the process. (The processes themselves: tests/net/mtu_process_test.cpp.)
#include <catch2/catch.hpp>

#include "cli_test_support.hpp"
#include "net/cluster_file.hpp"

using namespace knhk;
using namespace knhk::cli::test;

namespace {

// The words of each sending command, complete but for --max-datagram.
std::vector<std::vector<std::string>> sending_commands(const std::filesystem::path& dir) {
  std::string cluster = (dir / "cluster.yaml").string();
  return {{"node", "--cluster", cluster, "--id", "0"},
          {"client", "--cluster", cluster, "--requests", "1"},
          {"cluster", "up", "--dir", (dir / "up").string()},
          {"keygen", "--protocol", "pbft", "--out", (dir / "keys").string()}};
}

}  // namespace

TEST_CASE("--max-datagram: bad values exit 2 with the accepted range and the usage", "[cli][mtu]") {
  auto dir = temp_path("max-datagram-bad");
  std::filesystem::remove_all(dir);
  for (auto args : sending_commands(dir)) {
    for (std::string bad : {"abc", "319", "100", "65001", "70000", "-1400", "1400.5", "1e3", ""}) {
      INFO(args[0] << " --max-datagram '" << bad << "'");
      auto with = args;
      with.insert(with.end(), {"--max-datagram", bad});
      CommandOutcome r = run_knhk(with);
      CHECK(r.code == 2);
      CHECK_THAT(r.err,
                 Catch::Contains("--max-datagram must be a whole number of bytes from 320") &&
                     Catch::Contains("to 65000") && Catch::Contains("usage: knhk " + args[0]));
      CHECK(r.out.empty());
    }
    INFO(args[0] << " --max-datagram without a value");
    auto missing = args;
    missing.push_back("--max-datagram");
    CommandOutcome r = run_knhk(missing);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("max-datagram") && Catch::Contains("usage: knhk " + args[0]));
  }
  // Nothing ran: no keys, no cluster directory.
  CHECK_FALSE(std::filesystem::exists(dir / "keys"));
  CHECK_FALSE(std::filesystem::exists(dir / "up"));
}

TEST_CASE("--max-datagram: keygen writes max_datagram into the cluster file", "[cli][mtu]") {
  auto dir = temp_path("max-datagram-keygen");
  std::filesystem::remove_all(dir);
  CommandOutcome plain = run_knhk(
      {"keygen", "--protocol", "pbft", "--clients", "2", "--out", (dir / "plain").string()});
  REQUIRE(plain.code == 0);
  CHECK(net::load_cluster_file(dir / "plain" / "cluster.yaml").max_datagram_bytes == 65000);
  CommandOutcome mtu = run_knhk({"keygen", "--protocol", "hotstuff", "--clients", "2",
                                 "--max-datagram", "1400", "--out", (dir / "mtu").string()});
  REQUIRE(mtu.code == 0);
  CHECK_THAT(read_file(dir / "mtu" / "cluster.yaml"), Catch::Contains("\nmax_datagram: 1400\n"));
  CHECK(net::load_cluster_file(dir / "mtu" / "cluster.yaml").max_datagram_bytes == 1400);
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "--max-datagram: a good value passes option parsing on node and client; --help "
    "lists it",
    "[cli][mtu]") {
  auto dir = temp_path("max-datagram-good");
  std::filesystem::remove_all(dir);
  std::string missing = (dir / "missing.yaml").string();
  // Past the options, the commands fail on the missing cluster file instead.
  CommandOutcome node =
      run_knhk({"node", "--cluster", missing, "--id", "0", "--max-datagram", "1400"});
  CHECK(node.code == 2);
  CHECK_THAT(node.err, Catch::Contains("missing.yaml") && !Catch::Contains("usage:"));
  CommandOutcome client =
      run_knhk({"client", "--cluster", missing, "--requests", "1", "--max-datagram", "320"});
  CHECK(client.code == 2);
  CHECK_THAT(client.err, Catch::Contains("missing.yaml") && !Catch::Contains("usage:"));
  for (std::string command : {"node", "client", "cluster", "keygen"}) {
    CommandOutcome help = run_knhk({command, "--help"});
    CHECK(help.code == 0);
    CHECK_THAT(help.out, Catch::Contains("--max-datagram BYTES"));
  }
}
