// The `knhk` command line, run in-process: dispatch, usage errors, `run` exit codes,
// trace determinism and the summary's digest.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "cli/large_pages.hpp"
#include "cli_test_support.hpp"

using namespace knhk::cli;
using namespace knhk::cli::test;

TEST_CASE("no command, unknown command and unknown flag exit 2 with usage on stderr", "[cli]") {
  auto none = run_knhk({});
  CHECK(none.code == 2);
  CHECK(none.err.find("usage: knhk COMMAND") != std::string::npos);
  auto unknown = run_knhk({"frobnicate"});
  CHECK(unknown.code == 2);
  CHECK(unknown.out.empty());
  CHECK(unknown.err.find("knhk: unknown command `frobnicate`") == 0);
  auto flag = run_knhk({"run", "x.yaml", "--frobnicate"});
  CHECK(flag.code == 2);
  CHECK(flag.err.find("knhk run: unrecognised option '--frobnicate'") == 0);
  CHECK(flag.err.find("usage: knhk run FILE") != std::string::npos);
  auto negative = run_knhk({"run", "x.yaml", "--seed=-5"});
  CHECK(negative.code == 2);
  CHECK(negative.err ==
        "knhk run: --seed must be an integer in 0..18446744073709551615, got `-5`\n");
  auto missing = run_knhk({"run"});
  CHECK(missing.code == 2);
  CHECK(missing.err.find("knhk run: the option '--file' is required") == 0);
}

TEST_CASE("--help lists commands and describes each", "[cli]") {
  auto help = run_knhk({"--help"});
  CHECK(help.code == 0);
  for (const char* c : {"run", "version"})
    CHECK(help.out.find(std::string("  ") + c) != std::string::npos);
  for (const auto* c : CommandRegistry::global().list()) {
    auto h = run_knhk({c->name, "--help"});
    CHECK(h.code == 0);
    CHECK(h.out.find("usage: knhk " + c->name) == 0);
  }
}

TEST_CASE("version", "[cli]") {
  auto v = run_knhk({"version"});
  CHECK(v.code == 0);
  CHECK(v.out.rfind("knhk ", 0) == 0);
  CHECK(v.out.find("\nallocator: " + allocator_description() + "\n") != std::string::npos);
}

namespace {
// The standard output of a shell command.
std::string shell_output(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    ::pclose(pipe);
  }
  return out;
}
}  // namespace

// The knhk binary re-executes itself with mimalloc's 2 MiB-page settings (cli/large_pages.hpp);
// MIMALLOC_LARGE_OS_PAGES, when set, is the user's choice and stops it.
TEST_CASE("the knhk binary runs on 2 MiB pages unless MIMALLOC_LARGE_OS_PAGES says otherwise",
          "[cli]") {
  const char* binary = std::getenv("KNHK_BINARY");
  if (!binary) {
    WARN("KNHK_BINARY not set (ctest sets it): not run");
    return;
  }
  const bool mimalloc = allocator_description().rfind("mimalloc", 0) == 0;
  const std::string plain =
      shell_output("env -u MIMALLOC_LARGE_OS_PAGES '" + std::string(binary) + "' version");
  const std::string off =
      shell_output("env MIMALLOC_LARGE_OS_PAGES=0 '" + std::string(binary) + "' version");
  INFO(plain << off);
  CHECK_THAT(plain, Catch::Contains(mimalloc ? "allocator: mimalloc, 2 MiB pages"
                                             : "allocator: the C library's"));
  CHECK_THAT(off, Catch::Contains(mimalloc ? "allocator: mimalloc, 4 KiB pages"
                                           : "allocator: the C library's"));
}

TEST_CASE("run: an invalid scenario exits 2 and runs nothing", "[cli][run]") {
  auto missing = run_knhk({"run", "/nonexistent.yaml"});
  CHECK(missing.code == 2);
  CHECK(missing.out.empty());
  CHECK(missing.err == "/nonexistent.yaml:1:1: cannot read scenario: No such file or directory\n");
  auto bad = temp_path("bad.yaml");
  std::ofstream(bad) << "name: x\nduration: 1s\nprotocol: {kind: pbft, nodes: 3}\n";
  auto r = run_knhk({"run", bad.string(), "--trace", temp_path("bad.trace").string()});
  CHECK(r.code == 2);
  CHECK(r.err == bad.string() +
                     ":3:31: `protocol.nodes` must be at least 4 (n = 3f + 1 with f ≥ 1), got 3\n");
}

TEST_CASE("run: the summary, and a failing expectation exits 1 with the replay command",
          "[cli][run]") {
  auto pass = run_knhk({"run", example("pbft/leader-isolated.yaml")});
  CHECK(pass.code == 0);
  CHECK(pass.out.find("expect    PASS safety") != std::string::npos);
  CHECK(pass.out.find("result    PASS") != std::string::npos);
  CHECK(pass.out.find("pbft.commit") != std::string::npos);

  auto quiet = run_knhk({"run", example("pbft/leader-isolated.yaml"), "--quiet"});
  CHECK(quiet.code == 0);
  CHECK(quiet.out.empty());

  // Same scenario with an impossible bound.
  auto file = temp_path("impossible.yaml");
  std::string text = read_file(example("pbft/leader-isolated.yaml"));
  text.replace(text.find("min_commits: 100"), 16, "min_commits: 999999");
  std::ofstream(file) << text;
  auto fail = run_knhk({"run", file.string(), "--seed", "7"});
  CHECK(fail.code == 1);
  CHECK(fail.out.find("FAIL min_commits") != std::string::npos);
  CHECK(fail.out.find("replay    knhk run " + file.string() + " --seed 7\n") != std::string::npos);
}

TEST_CASE("run: --trace is byte-identical for one seed and its digest is the summary's",
          "[cli][run][determinism]") {
  auto file = example("pbft/leader-isolated.yaml");
  auto t1 = temp_path("a.trace"), t2 = temp_path("b.trace"), t3 = temp_path("c.trace");
  auto a = run_knhk({"run", file, "--trace", t1.string(), "--json"});
  auto b = run_knhk({"run", file, "--trace", t2.string(), "--json"});
  auto c = run_knhk({"run", file, "--trace", t3.string(), "--json", "--seed", "43"});
  REQUIRE(a.code == 0);
  std::string first = read_file(t1);
  CHECK(first.size() > 1000);
  CHECK(first == read_file(t2));
  CHECK(first != read_file(t3));
  CHECK(a.out == b.out);
  auto digest_of = [](const std::string& json) {
    auto at = json.find("\"trace_digest\":\"");
    return json.substr(at + 16, 64);
  };
  CHECK(digest_of(a.out) == digest_of(b.out));
  CHECK(digest_of(a.out) != digest_of(c.out));
  // The trace file has one JSON object per event the digest covers.
  auto lines = std::count(first.begin(), first.end(), '\n');
  CHECK(a.out.find("\"trace_events\":" + std::to_string(lines) + ",") != std::string::npos);
}
