// The `knhk` subcommand table. Each command lives in its own cli/cmd_<name>.cpp and
// registers itself with KNHK_COMMAND; main.cpp only calls dispatch(). Commands write to
// the streams they are given (never straight to std::cout), so tests run them in-process.
//
// Exit codes: 0 success, 1 a run whose expectations failed, 2 invalid command line or
// invalid input file (nothing was run).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/program_options.hpp>

namespace knhk::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct CommandIo {
  std::ostream& out;
  std::ostream& err;
};

// `args` are the words after the command name.
using CommandFn = std::function<int(const std::vector<std::string>& args, CommandIo io)>;

struct Command {
  std::string name;
  std::string summary;  // one line for `knhk --help`
  CommandFn run;
};

class CommandRegistry {
 public:
  static CommandRegistry& global();
  void add(Command c);  // a second command with the same name is a programming error
  const Command* find(std::string_view name) const;
  std::vector<const Command*> list() const;  // sorted by name

 private:
  std::map<std::string, Command, std::less<>> commands_;
};

struct RegisterCommand {
  explicit RegisterCommand(Command c) { CommandRegistry::global().add(std::move(c)); }
};

// Registers a command at static-initialisation time, e.g.
//   KNHK_COMMAND(run, "replay a scenario file", run_command);
// (cli/CMakeLists.txt builds the commands as an OBJECT library so that no registration
// is dropped by the linker.)
#define KNHK_COMMAND(NAME, SUMMARY, FN) \
  static const ::knhk::cli::RegisterCommand knhk_register_command_##NAME({#NAME, SUMMARY, FN})

// Runs `knhk ARGS...` (argv without the program name).
int dispatch(const std::vector<std::string>& args, CommandIo io);
void print_usage(std::ostream& out);

// Parses a command's options. `synopsis` is the usage line ("knhk run FILE [options]").
// Returns an exit code when the command must stop now: 0 after printing --help to
// io.out, 2 after printing the error and usage to io.err for an unknown flag, a missing
// or extra argument, or a bad value. Returns nullopt when `vm` is ready to use. Every
// command gets --help automatically.
std::optional<int> parse_options(
    const std::string& command, const std::string& synopsis, const std::vector<std::string>& args,
    boost::program_options::options_description options,
    const boost::program_options::positional_options_description& positional,
    boost::program_options::variables_map& vm, CommandIo io);

}  // namespace knhk::cli
