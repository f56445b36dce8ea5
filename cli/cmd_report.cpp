// `knhk report FILE... [--plots DIR]`: a table over run results — the JSON object of `knhk
// run --report`/`--json`, or the JSON lines of `knhk sweep` — one row per scenario; with
// --plots, PNG plots of the same files drawn by analysis/python/knhk_plot.py.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/json_value.hpp"
#include "cli/report_plots.hpp"

namespace po = boost::program_options;

namespace knhk::cli {
namespace {

struct Row {
  std::size_t runs = 0;
  std::size_t passed = 0;
  double commits = 0;     // sum, for the mean
  double throughput = 0;  // sum
  std::vector<double> p50;
  std::optional<double> p99_max;
  double view_changes_max = 0;
};

bool passed(const JsonValue& r) {
  if (auto b = r.boolean("passed")) return *b;
  return r.string("verdict") == std::optional<std::string>("pass");
}

void add(Row& row, const JsonValue& r) {
  ++row.runs;
  row.passed += passed(r);
  row.commits += r.number("commits").value_or(0);
  row.throughput += r.number("throughput_ops").value_or(0);
  if (auto p = r.number("latency_p50_ms")) row.p50.push_back(*p);
  if (auto p = r.number("latency_p99_ms")) row.p99_max = std::max(row.p99_max.value_or(0), *p);
  row.view_changes_max = std::max(row.view_changes_max, r.number("view_changes").value_or(0));
}

std::string num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string median(std::vector<double> v) {
  if (v.empty()) return "-";
  std::sort(v.begin(), v.end());
  return num(v[(v.size() - 1) / 2], 3);
}

// Reads one file: a single JSON object, or one object per line. Returns an error message.
std::optional<std::string> read_results(const std::string& file, std::map<std::string, Row>& rows) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return file + ": cannot read";
  std::stringstream text;
  text << in.rdbuf();
  auto whole = parse_json(text.str());
  std::vector<JsonValue> records;
  if (whole.value && whole.value->get("commits")) {
    records.push_back(*whole.value);
  } else {
    std::string line;
    std::istringstream lines(text.str());
    for (int n = 1; std::getline(lines, line); ++n) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto p = parse_json(line);
      if (!p.value || !p.value->get("commits"))
        return file + ":" + std::to_string(n) + ": not a knhk result" +
               (p.error.empty() ? "" : " (" + p.error + ")");
      records.push_back(*p.value);
    }
  }
  if (records.empty()) return file + ": no results";
  for (const auto& r : records) add(rows[r.string("scenario").value_or(file)], r);
  return std::nullopt;
}

void print_table(std::ostream& out, const std::map<std::string, Row>& rows) {
  char line[256];
  std::snprintf(line, sizeof line, "%-36s %5s %5s %9s %9s %9s %9s %6s\n", "scenario", "runs",
                "pass", "commits", "ops/s", "p50 ms", "p99 ms", "views");
  out << line;
  for (const auto& [name, r] : rows) {
    double n = static_cast<double>(r.runs);
    std::snprintf(line, sizeof line, "%-36s %5zu %5zu %9s %9s %9s %9s %6s\n", name.c_str(), r.runs,
                  r.passed, num(r.commits / n, 1).c_str(), num(r.throughput / n, 1).c_str(),
                  median(r.p50).c_str(), r.p99_max ? num(*r.p99_max, 3).c_str() : "-",
                  num(r.view_changes_max, 0).c_str());
    out << line;
  }
}

int report_command(const std::vector<std::string>& args, CommandIo io) {
  po::options_description options("options");
  options.add_options()("files", po::value<std::vector<std::string>>()->required(),
                        "result files: `knhk run --report` JSON or `knhk sweep` JSON lines")(
      "plots", po::value<std::string>(),
      "also write PNG plots into this directory (needs python3-matplotlib)");
  po::positional_options_description positional;
  positional.add("files", -1);
  po::variables_map vm;
  if (auto code = parse_options("report", "knhk report FILE... [--plots DIR]", args, options,
                                positional, vm, io))
    return *code;
  const auto& files = vm["files"].as<std::vector<std::string>>();
  const PlotTools tools = default_plot_tools();
  if (vm.count("plots"))
    if (auto problem = plot_tools_problem(tools)) {
      io.err << "knhk report: " << *problem << "\n";
      return kExitUsage;
    }
  std::map<std::string, Row> rows;
  for (const auto& file : files)
    if (auto error = read_results(file, rows)) {
      io.err << "knhk report: " << *error << "\n";
      return kExitUsage;
    }
  print_table(io.out, rows);
  bool all = std::all_of(rows.begin(), rows.end(),
                         [](const auto& kv) { return kv.second.passed == kv.second.runs; });
  if (vm.count("plots"))
    if (int code = write_plots(tools, vm["plots"].as<std::string>(), files, io)) return code;
  return all ? kExitOk : kExitFailed;
}

}  // namespace

KNHK_COMMAND(report, "summarise run results (run --report JSON, sweep JSON lines): table, plots",
             report_command);

}  // namespace knhk::cli
