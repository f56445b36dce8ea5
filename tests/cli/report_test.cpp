// `knhk report` over the files `run --report` and `sweep` write, and the bounded JSON
// reader underneath it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

#include "cli/json_value.hpp"
#include "cli_test_support.hpp"

using namespace knhk::cli;
using namespace knhk::cli::test;

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
  std::string file = example("pbft/crash.yaml");
  auto run_json = temp_path("run.json"), sweep = temp_path("sweep.jsonl");
  REQUIRE(run_knhk({"run", file, "--report", run_json.string(), "--quiet"}).code == 0);
  REQUIRE(run_knhk({"sweep", file, "--seeds", "1:3", "--out", sweep.string()}).code == 0);
  auto report = run_knhk({"report", run_json.string(), sweep.string()});
  REQUIRE(report.code == 0);
  CHECK(report.out.find("scenario") == 0);
  CHECK(report.out.find("\npbft-crash ") != std::string::npos);  // from run --report
  // The sweep's lines ('\n' + path + ' ', built by append: GCC 12 flags "\n" + std::string&&
  // with a false -Wrestrict).
  std::string sweep_line(1, '\n');
  sweep_line.append(sweep.string()).push_back(' ');
  CHECK(report.out.find(sweep_line) != std::string::npos);
  CHECK(std::count(report.out.begin(), report.out.end(), '\n') == 3);
}

TEST_CASE("report: a failed run exits 1, garbage exits 2 naming the line", "[cli][report]") {
  auto failed = temp_path("failed.jsonl");
  std::ofstream(failed) << "{\"seed\":1,\"verdict\":\"pass\",\"commits\":10}\n"
                        << "{\"seed\":2,\"verdict\":\"fail\",\"commits\":3}\n";
  auto with_failure = run_knhk({"report", failed.string()});
  CHECK(with_failure.code == 1);
  CHECK(with_failure.out.find("    2     1 ") != std::string::npos);  // runs 2, passed 1
  auto garbage = temp_path("garbage.jsonl");
  std::ofstream(garbage) << "{\"commits\":1}\nnot json\n";
  auto unreadable = run_knhk({"report", garbage.string()});
  CHECK(unreadable.code == 2);
  CHECK(unreadable.err == "knhk report: " + garbage.string() +
                              ":2: not a knhk result (offset 0: unexpected character)\n");
}
