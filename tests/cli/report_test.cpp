// `knhk report` over the files `run --report` and `sweep` write, and the bounded JSON
// reader underneath it.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/json_value.hpp"

using namespace knhk::cli;

namespace {

std::filesystem::path temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "knhk-report-tests";
  std::filesystem::create_directories(dir);
  return dir / name;
}

int knhk_cmd(std::vector<std::string> args, std::string& out, std::string& err) {
  std::ostringstream o, e;
  int code = dispatch(args, {o, e});
  out = o.str();
  err = e.str();
  return code;
}

}  // namespace

TEST_CASE("json reader: values, errors, depth bound", "[cli][json]") {
  auto ok =
      parse_json(R"( {"a": [1, 2.5, -3e2], "b": {"c": "x\"y\u0041"}, "t": true, "n": null} )");
  REQUIRE(ok.value);
  CHECK(ok.value->get("a") != nullptr);
  CHECK(ok.value->get("b")->string("c") == std::optional<std::string>("x\"yA"));
  CHECK(ok.value->boolean("t") == std::optional<bool>(true));
  CHECK_FALSE(ok.value->number("t"));
  CHECK(parse_json("{\"x\": }").error == "offset 6: bad number");
  CHECK(parse_json("[1, 2").error == "offset 5: expected ',' or ']'");
  CHECK(parse_json("[1, ").error == "offset 4: unexpected end");
  CHECK(parse_json("{} x").error == "offset 3: trailing characters");
  CHECK(parse_json(std::string(100000, '[')).error == "offset 65: nested too deeply");
}

TEST_CASE("report: one row per scenario from run --report and sweep lines", "[cli][report]") {
  const char* src = std::getenv("KNHK_SOURCE_DIR");
  std::string file = std::string(src ? src : ".") + "/scenarios/examples/pbft/crash.yaml";
  auto run_json = temp_path("run.json"), sweep = temp_path("sweep.jsonl");
  std::string out, err;
  REQUIRE(knhk_cmd({"run", file, "--report", run_json.string(), "--quiet"}, out, err) == 0);
  REQUIRE(knhk_cmd({"sweep", file, "--seeds", "1:3", "--out", sweep.string()}, out, err) == 0);
  REQUIRE(knhk_cmd({"report", run_json.string(), sweep.string()}, out, err) == 0);
  CHECK(out.find("scenario") == 0);
  CHECK(out.find("\npbft-crash ") != std::string::npos);              // from run --report
  CHECK(out.find("\n" + sweep.string() + " ") != std::string::npos);  // sweep lines
  CHECK(std::count(out.begin(), out.end(), '\n') == 3);
}

TEST_CASE("report: a failed run exits 1, garbage exits 2 naming the line", "[cli][report]") {
  auto failed = temp_path("failed.jsonl");
  std::ofstream(failed) << "{\"seed\":1,\"verdict\":\"pass\",\"commits\":10}\n"
                        << "{\"seed\":2,\"verdict\":\"fail\",\"commits\":3}\n";
  std::string out, err;
  CHECK(knhk_cmd({"report", failed.string()}, out, err) == 1);
  CHECK(out.find("    2     1 ") != std::string::npos);  // runs 2, passed 1
  auto garbage = temp_path("garbage.jsonl");
  std::ofstream(garbage) << "{\"commits\":1}\nnot json\n";
  CHECK(knhk_cmd({"report", garbage.string()}, out, err) == 2);
  CHECK(err == "knhk report: " + garbage.string() +
                   ":2: not a knhk result (offset 0: unexpected character)\n");
}
