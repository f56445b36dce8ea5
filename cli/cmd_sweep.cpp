// `knhk sweep FILE --seeds A:B [--shard I/N] [--out results.jsonl]`: one scenario over
// a half-open range of seeds, one JSON line per seed. Shard I of N (1-based) takes the
// seeds A+I-1, A+I-1+N, ... so that N machines together cover exactly [A, B).
#include <fstream>
#include <iomanip>
#include <sstream>

#include "cli/commands.hpp"
#include "scenarios/loader.hpp"
#include "scenarios/runner.hpp"

namespace po = boost::program_options;

namespace knhk::cli {
namespace {

struct SeedRange {
  std::uint64_t begin = 0, end = 0;  // [begin, end)
  std::uint64_t shard = 1, shards = 1;
};

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_pair(const std::string& s, char sep) {
  auto at = s.find(sep);
  if (at == std::string::npos || at == 0 || at + 1 == s.size()) return std::nullopt;
  try {
    std::size_t used1 = 0, used2 = 0;
    auto a = std::stoull(s.substr(0, at), &used1);
    auto b = std::stoull(s.substr(at + 1), &used2);
    if (used1 != at || used2 != s.size() - at - 1 || s[0] == '-' || s[at + 1] == '-')
      return std::nullopt;
    return std::make_pair(static_cast<std::uint64_t>(a), static_cast<std::uint64_t>(b));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> read_range(const po::variables_map& vm, SeedRange& r) {
  auto seeds = parse_pair(vm["seeds"].as<std::string>(), ':');
  if (!seeds || seeds->first >= seeds->second)
    return "--seeds must be A:B with A < B (half-open range)";
  r.begin = seeds->first;
  r.end = seeds->second;
  if (vm.count("shard")) {
    auto shard = parse_pair(vm["shard"].as<std::string>(), '/');
    if (!shard || shard->second == 0 || shard->first < 1 || shard->first > shard->second)
      return "--shard must be I/N with 1 <= I <= N";
    r.shard = shard->first;
    r.shards = shard->second;
  }
  return std::nullopt;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

void write_line(std::ostream& out, std::uint64_t seed, const scenarios::RunResult& r) {
  const auto& m = r.metrics;
  auto* failure = r.first_failure();
  std::ostringstream line;
  line << std::fixed << std::setprecision(3) << "{\"seed\":" << seed << ",\"digest\":\""
       << r.trace_digest.hex() << "\",\"verdict\":\"" << (failure ? "fail" : "pass") << "\"";
  if (failure)
    line << ",\"failed\":\"" << json_escape(failure->name) << "\",\"detail\":\""
         << json_escape(failure->detail) << "\"";
  line << ",\"commits\":" << m.commands_committed << ",\"completed\":" << m.operations_completed
       << ",\"throughput_ops\":" << m.commands_committed / r.scenario.duration.seconds();
  if (m.latency_p50) line << ",\"latency_p50_ms\":" << m.latency_p50->millis();
  if (m.latency_p99) line << ",\"latency_p99_ms\":" << m.latency_p99->millis();
  line << ",\"view_changes\":" << m.max_view_changes << "}\n";
  out << line.str() << std::flush;
}

int sweep_command(const std::vector<std::string>& args, CommandIo io) {
  po::options_description options("options");
  options.add_options()("file", po::value<std::string>()->required(), "scenario YAML file")(
      "seeds", po::value<std::string>()->required(), "half-open seed range A:B")(
      "shard", po::value<std::string>(), "run only part I of N (1-based), e.g. 2/8")(
      "out", po::value<std::string>(), "write JSON lines here instead of standard output");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto code =
          parse_options("sweep", "knhk sweep FILE --seeds A:B [--shard I/N] [--out results.jsonl]",
                        args, options, positional, vm, io))
    return *code;
  SeedRange range;
  if (auto error = read_range(vm, range)) {
    io.err << "knhk sweep: " << *error << "\n";
    return kExitUsage;
  }
  scenarios::Scenario scenario;
  try {
    scenario = scenarios::load_scenario_file(vm["file"].as<std::string>());
  } catch (const scenarios::ScenarioError& e) {
    io.err << e.what() << "\n";
    return kExitUsage;
  }
  std::ofstream file;
  if (vm.count("out")) {
    file.open(vm["out"].as<std::string>(), std::ios::trunc);
    if (!file) {
      io.err << "knhk sweep: cannot write " << vm["out"].as<std::string>() << "\n";
      return kExitUsage;
    }
  }
  std::ostream& out = file.is_open() ? file : io.out;
  bool all_passed = true;
  for (std::uint64_t seed = range.begin + (range.shard - 1); seed < range.end;
       seed += range.shards) {
    scenarios::RunOptions run;
    run.seed = seed;
    auto result = scenarios::run_scenario(scenario, run);
    all_passed &= result.passed();
    write_line(out, seed, result);
  }
  return all_passed ? kExitOk : kExitFailed;
}

}  // namespace

KNHK_COMMAND(sweep, "run one scenario over a range of seeds, one JSON line per seed",
             sweep_command);

}  // namespace knhk::cli
