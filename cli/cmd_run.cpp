// `knhk run FILE`: replays a scenario and judges its expectations (exit 0 pass, 1 fail,
// 2 invalid scenario or command line).
#include <charconv>
#include <cstdint>
#include <fstream>

#include "cli/commands.hpp"
#include "cli/summary.hpp"
#include "scenarios/loader.hpp"
#include "scenarios/runner.hpp"

namespace po = boost::program_options;

namespace knhk::cli {
namespace {

// Digits only: program_options would accept "-5" for an unsigned and wrap it around.
std::optional<std::uint64_t> parse_seed(const std::string& text) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

int run_command(const std::vector<std::string>& args, CommandIo io) {
  po::options_description options("options");
  options.add_options()("file", po::value<std::string>()->required(), "scenario YAML file")(
      "seed", po::value<std::string>(), "seed (overrides the scenario's `seed`)")(
      "trace", po::value<std::string>(), "write every event as JSON lines to this file")(
      "report", po::value<std::string>(), "write the metrics as JSON to this file")(
      "json", po::bool_switch(), "print the summary as one JSON object")(
      "quiet,q", po::bool_switch(), "print nothing unless an expectation fails");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto code = parse_options("run",
                                "knhk run FILE [--seed S] [--trace FILE] [--report FILE] "
                                "[--json] [--quiet]",
                                args, options, positional, vm, io))
    return *code;
  const std::string file = vm["file"].as<std::string>();
  scenarios::RunOptions run;
  if (vm.count("seed")) {
    run.seed = parse_seed(vm["seed"].as<std::string>());
    if (!run.seed) {
      io.err << "knhk run: --seed must be an integer in 0.." << UINT64_MAX << ", got `"
             << vm["seed"].as<std::string>() << "`\n";
      return kExitUsage;
    }
  }
  scenarios::Scenario scenario;
  try {
    scenario = scenarios::load_scenario_file(file);
  } catch (const scenarios::ScenarioError& e) {
    io.err << e.what() << "\n";
    return kExitUsage;
  }
  std::ofstream trace;
  if (vm.count("trace")) {
    trace.open(vm["trace"].as<std::string>(), std::ios::binary | std::ios::trunc);
    if (!trace) {
      io.err << "knhk run: cannot write trace file " << vm["trace"].as<std::string>() << "\n";
      return kExitUsage;
    }
    run.trace = &trace;
  }
  std::ofstream report;
  if (vm.count("report")) {
    report.open(vm["report"].as<std::string>(), std::ios::binary | std::ios::trunc);
    if (!report) {
      io.err << "knhk run: cannot write report file " << vm["report"].as<std::string>() << "\n";
      return kExitUsage;
    }
  }
  scenarios::RunResult result = scenarios::run_scenario(scenario, run);
  if (report.is_open()) print_summary_json(report, result, file);
  if (vm["json"].as<bool>())
    print_summary_json(io.out, result, file);
  else if (!vm["quiet"].as<bool>() || !result.passed())
    print_summary_text(io.out, result, file);
  return result.passed() ? kExitOk : kExitFailed;
}

}  // namespace

KNHK_COMMAND(run, "replay a scenario file in the simulator and check its expectations",
             run_command);

}  // namespace knhk::cli
