// `knhk fuzz`: runs generated scenarios until the time is up or an expectation fails,
// then shrinks the failure and writes it as a scenario file that `knhk run` replays.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <set>
#include <thread>

#include "cli/commands.hpp"
#include "scenarios/fuzz.hpp"
#include "scenarios/writer.hpp"

namespace po = boost::program_options;

namespace knhk::cli {
namespace {

struct FuzzArgs {
  scenarios::FuzzOptions options;
  std::string out_dir;
};

constexpr std::uint32_t kMaxJobs = 256;

// `--jobs`: 1 to kMaxJobs threads, or 0 for one per core (as many as the hardware
// reports, 1 if it does not say). Anything else (junk, a sign, too many) is refused.
std::optional<std::uint32_t> parse_jobs(const std::string& text) {
  if (text.empty() || text.size() > 3 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  const auto jobs = static_cast<std::uint32_t>(std::stoul(text));
  if (jobs > kMaxJobs) return std::nullopt;
  if (jobs == 0) return std::clamp<std::uint32_t>(std::thread::hardware_concurrency(), 1, kMaxJobs);
  return jobs;
}

std::optional<std::string> read_fuzz_args(const po::variables_map& vm, FuzzArgs& a) {
  auto& gen = a.options.generator;
  const auto protocol = vm["protocol"].as<std::string>();
  if (protocol == "pbft")
    gen.protocol = ProtocolKind::pbft;
  else if (protocol == "hotstuff")
    gen.protocol = ProtocolKind::hotstuff;
  else if (protocol != "any")
    return "--protocol must be pbft, hotstuff or any";
  if (vm.count("nodes")) {
    auto n = vm["nodes"].as<std::uint32_t>();
    if (n < 4 || n > 64) return "--nodes must be between 4 and 64";
    gen.nodes = n;
  }
  const auto budget = vm["budget"].as<std::string>();
  if (budget == "f")
    gen.budget = scenarios::FaultBudget::within_f;
  else if (budget == "f+1")
    gen.budget = scenarios::FaultBudget::f_plus_one;
  else
    return "--budget must be f or f+1";
  auto seconds = vm["time"].as<double>();
  if (seconds <= 0) return "--time must be positive";
  a.options.time_limit = std::chrono::duration<double>(seconds);
  if (vm.count("runs")) a.options.max_runs = vm["runs"].as<std::uint64_t>();
  a.options.first_seed = vm["seed"].as<std::uint64_t>();
  if (vm.count("hunt")) {
    static const std::set<std::string> known = {
        "safety",          "liveness",        "min_commits",       "max_view_changes",
        "latency_p50_max", "latency_p99_max", "byzantine_detected"};
    const auto hunt = vm["hunt"].as<std::string>();
    if (!known.count(hunt))
      return "--hunt must name an expectation: safety, liveness, min_commits, "
             "max_view_changes, latency_p50_max, latency_p99_max or byzantine_detected";
    a.options.hunt = hunt;
  }
  a.out_dir = vm["out"].as<std::string>();
  if (auto jobs = parse_jobs(vm["jobs"].as<std::string>()))
    a.options.jobs = *jobs;
  else
    return "--jobs must be a number of threads from 1 to " + std::to_string(kMaxJobs) +
           ", or 0 for one per core";
  return std::nullopt;
}

void print_progress(std::ostream& out, const scenarios::FuzzProgress& p) {
  out << "runs " << p.runs << "  simulated " << std::fixed << std::setprecision(0)
      << p.simulated_seconds << " s  " << std::setprecision(1) << p.runs_per_second() << " runs/s";
  if (p.skipped > 0) out << "  (" << p.skipped << " failed other expectations)";
  out << "\n" << std::flush;
}

int report_failure(const scenarios::FuzzFailure& f, const std::string& out_dir, CommandIo io) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  const std::string path = out_dir + "/" + f.shrunk.name + ".yaml";
  std::ofstream file(path, std::ios::trunc);
  if (!file) {
    io.err << "knhk fuzz: cannot write " << path << "\n";
    return kExitUsage;
  }
  file << scenarios::to_yaml(f.shrunk);
  const std::string original_path = out_dir + "/" + f.original.name + ".yaml";
  std::ofstream(original_path, std::ios::trunc) << scenarios::to_yaml(f.original);
  io.out << "FAILED " << f.expectation << " (generator seed " << f.seed << "): " << f.detail << "\n"
         << "shrunk in " << f.shrink_stats.attempts << " runs (" << f.shrink_stats.accepted
         << " simplifications): " << f.shrunk.protocol.nodes << " nodes, " << f.shrunk.faults.size()
         << " faults, " << f.shrunk.duration.seconds() << " s\n"
         << "  " << f.shrunk_detail << "\n"
         << "wrote " << path << " (unshrunk: " << original_path << ")\nreplay: knhk run " << path
         << "\n";
  return kExitFailed;
}

int fuzz_command(const std::vector<std::string>& args, CommandIo io) {
  po::options_description options("options");
  options.add_options()("protocol", po::value<std::string>()->default_value("any"),
                        "pbft | hotstuff | any")("nodes", po::value<std::uint32_t>(),
                                                 "cluster size (default: 4 to 13 at random)")(
      "budget", po::value<std::string>()->default_value("f"),
      "faulty replicas at once: f (properties must hold) or f+1 (checkers must find "
      "violations)")("time", po::value<double>()->default_value(60), "wall-clock seconds")(
      "runs", po::value<std::uint64_t>(), "stop after this many runs")(
      "jobs", po::value<std::string>()->default_value("1"),
      "threads running seeds (1 to 256, 0 = one per core); a failure reported is "
      "the lowest failing seed, whatever N")("seed", po::value<std::uint64_t>()->default_value(1),
                                             "first generator seed")(
      "hunt", po::value<std::string>(),
      "stop only on a failure of this expectation (e.g. safety); runs failing others are "
      "counted and skipped")("out", po::value<std::string>()->default_value("fuzz-out"),
                             "directory for the shrunk counterexample");
  po::variables_map vm;
  if (auto code = parse_options(
          "fuzz",
          "knhk fuzz [--protocol P] [--nodes N] [--budget f|f+1] "
          "[--time S] [--runs N] [--jobs N] [--seed S] [--hunt EXPECTATION] [--out DIR]",
          args, options, {}, vm, io))
    return *code;
  FuzzArgs a;
  if (auto error = read_fuzz_args(vm, a)) {
    io.err << "knhk fuzz: " << *error << "\n";
    return kExitUsage;
  }
  double last_print = -1;
  a.options.on_progress = [&](const scenarios::FuzzProgress& p) {
    if (p.wall_seconds - last_print < 1.0) return;
    last_print = p.wall_seconds;
    print_progress(io.out, p);
  };
  auto report = scenarios::fuzz(a.options);
  print_progress(io.out, report.progress);
  if (report.failure) return report_failure(*report.failure, a.out_dir, io);
  io.out << "no failure in " << report.progress.runs << " runs\n";
  return kExitOk;
}

}  // namespace

KNHK_COMMAND(fuzz, "run generated scenarios; shrink a failure to a replayable YAML file",
             fuzz_command);

}  // namespace knhk::cli
