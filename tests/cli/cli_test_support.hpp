// Shared pieces of the command-line tests: `knhk` run in-process (exit code and both
// streams captured), the bundled examples, and scratch files in one temp folder.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "tests/support/examples.hpp"

namespace knhk::cli::test {

struct CommandOutcome {
  int code;
  std::string out;
  std::string err;
};

// What `knhk ARGS...` would exit with and print, through the same dispatch as main().
inline CommandOutcome run_knhk(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = dispatch(args, {out, err});
  return {code, out.str(), err.str()};
}

using knhk::testing::example;

inline std::filesystem::path temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "knhk-cli-tests";
  std::filesystem::create_directories(dir);
  return dir / name;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace knhk::cli::test
