#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "net/cluster_file.hpp"
#include "net/file_store.hpp"
#include "net_test_support.hpp"

using namespace knhk;
using namespace knhk::net;

namespace {

PersistEffect put(std::string k, Bytes v) {
  return PersistEffect{std::move(k), std::move(v), false};
}
PersistEffect erase(std::string k) {
  return PersistEffect{std::move(k), {}, true};
}

}  // namespace

TEST_CASE("file store: synced writes survive reopening", "[net][store]") {
  auto dir = test::temp_dir("store");
  {
    FileStore s(dir);
    s.stage(put("a", {1, 2, 3}));
    s.stage(put("b", {4}));
    s.stage(put("a", {9}));
    s.stage(erase("b"));
    s.sync();
    CHECK(s.syncs() == 1);
  }
  FileStore again(dir);
  CHECK(again.contents() == DurableStore{{"a", Bytes{9}}});
  CHECK(again.recovered_records() == 4);
}

TEST_CASE("file store: a torn record at the tail is cut off, earlier ones kept", "[net][store]") {
  auto dir = test::temp_dir("torn");
  {
    FileStore s(dir);
    s.stage(put("kept", {1}));
    s.sync();
    s.stage(put("torn", Bytes(100, 7)));
    s.sync();
  }
  auto log = dir / "store.log";
  auto size = std::filesystem::file_size(log);
  std::filesystem::resize_file(log, size - 10);  // a crash in the middle of the last write
  {
    FileStore s(dir);
    CHECK(s.contents() == DurableStore{{"kept", Bytes{1}}});
    CHECK(s.discarded_tail_bytes() > 0);
    s.stage(put("after", {2}));  // appends cleanly after the cut
    s.sync();
  }
  FileStore s(dir);
  CHECK(s.contents() == DurableStore{{"after", Bytes{2}}, {"kept", Bytes{1}}});
  CHECK(s.discarded_tail_bytes() == 0);
}

TEST_CASE("file store: a corrupted record ends the replay", "[net][store]") {
  auto dir = test::temp_dir("corrupt");
  {
    FileStore s(dir);
    s.stage(put("x", Bytes(10, 1)));
    s.sync();
    s.stage(put("y", Bytes(10, 2)));
    s.sync();
  }
  {
    std::fstream f(dir / "store.log", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-12, std::ios::end);
    f.put('\x55');
  }
  FileStore s(dir);
  CHECK(s.contents() == DurableStore{{"x", Bytes(10, 1)}});
}

TEST_CASE("file store: compaction keeps exactly the live contents", "[net][store]") {
  auto dir = test::temp_dir("compact");
  DurableStore expected;
  {
    FileStore s(dir);
    for (int i = 0; i < 400; ++i) {
      const std::string key = std::string("k").append(std::to_string(i % 5));
      Bytes value(64 * 1024, static_cast<std::uint8_t>(i));
      s.stage(put(key, value));
      expected[key] = value;
      s.sync();
    }
    CHECK(std::filesystem::file_size(dir / "store.log") < 16u << 20);  // rewritten on the way
  }
  FileStore s(dir);
  CHECK(s.contents() == expected);
}

TEST_CASE("cluster file and key files round-trip", "[net][config]") {
  auto dir = test::temp_dir("cluster");
  ClusterFile c = test::make_cluster(4, 3);
  c.params.kind = ProtocolKind::hotstuff;
  c.params.batch_size = 50;
  c.params.batch_timeout = Duration::micros(1500);
  {
    std::ofstream out(dir / "cluster.yaml");
    out << render_cluster_file(c);
  }
  ClusterFile back = load_cluster_file(dir / "cluster.yaml");
  CHECK(back.params.kind == ProtocolKind::hotstuff);
  CHECK(back.params.batch_size == 50);
  CHECK(back.params.batch_timeout == Duration::micros(1500));
  CHECK(back.params.nodes == 4);
  REQUIRE(back.nodes.size() == 4);
  CHECK(back.nodes[2].port == c.nodes[2].port);
  CHECK(back.nodes[2].public_key == c.nodes[2].public_key);
  CHECK(back.clients == c.clients);

  KeyFile k{Principal::replica(NodeId(2)), test::key_for(Principal::replica(NodeId(2)))};
  write_key_file(node_key_path(dir, NodeId(2)), k);
  struct stat st {};
  REQUIRE(::stat(node_key_path(dir, NodeId(2)).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  KeyFile loaded = load_key_file(node_key_path(dir, NodeId(2)));
  CHECK(loaded.principal == k.principal);
  CHECK(loaded.keys.secret_key == k.keys.secret_key);
}

TEST_CASE("bad cluster files give a clear error", "[net][config]") {
  auto dir = test::temp_dir("badcluster");
  auto write = [&](const std::string& text) {
    std::ofstream(dir / "c.yaml") << text;
    return dir / "c.yaml";
  };
  CHECK_THROWS_WITH(load_cluster_file(dir / "missing.yaml"), Catch::Contains("missing.yaml"));
  CHECK_THROWS_AS(load_cluster_file(write("[1, 2")), ConfigError);
  CHECK_THROWS_WITH(load_cluster_file(write("protocol: {kind: raft}\nnodes: []\n")),
                    Catch::Contains("unknown protocol 'raft'"));
  CHECK_THROWS_WITH(
      load_cluster_file(write("protocol: {kind: pbft}\nnodes:\n  - {id: 0, address: x, "
                              "public_key: 00}\n")),
      Catch::Contains("host:port"));
  CHECK_THROWS_WITH(load_cluster_file(write("protocol: {kind: pbft, view_timeout: -3s}\n")),
                    Catch::Contains("malformed duration"));
  std::ofstream(dir / "bad.key") << "seed: zz\n";
  CHECK_THROWS_AS(load_key_file(dir / "bad.key"), ConfigError);
}
