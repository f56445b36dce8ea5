// `knhk report --plots DIR`: hands the result files to the plotting script of analysis/python
// (knhk_plot.py, run by Debian's /usr/bin/python3 with numpy and matplotlib) and relays what
// it prints. The C++ side only finds the interpreter and the script and runs them; every
// plot is drawn in Python.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"

namespace knhk::cli {

// Where the pieces are. Defaults are fixed at build time (the configured Python, the source
// tree's script, the build tree's knhk_py module); the environment variables KNHK_PYTHON,
// KNHK_PLOT_SCRIPT and KNHK_PY_MODULE_DIR override them.
struct PlotTools {
  std::string python;
  std::string script;
  std::string module_dir;
};
PlotTools default_plot_tools();

// Why the plots cannot be drawn (no runnable interpreter, no script), or nullopt.
std::optional<std::string> plot_tools_problem(const PlotTools& tools);

// Runs `python script --out DIR FILE...`; its standard output goes to io.out and its
// errors to io.err. Returns the script's exit code (0 written, 2 bad input or missing
// matplotlib/numpy), or 2 with a message when the script cannot be started.
int write_plots(const PlotTools& tools, const std::string& out_dir,
                const std::vector<std::string>& files, CommandIo io);

}  // namespace knhk::cli
