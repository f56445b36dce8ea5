// `knhk version`: the version of this build.
#include "cli/commands.hpp"
#include "cli/large_pages.hpp"

#ifndef KNHK_VERSION
#define KNHK_VERSION "unknown"
#endif

namespace knhk::cli {
namespace {

int version_command(const std::vector<std::string>& args, CommandIo io) {
  boost::program_options::variables_map vm;
  if (auto code = parse_options("version", "knhk version", args, {"options"}, {}, vm, io))
    return *code;
  io.out << "knhk " << KNHK_VERSION << "\n";
  io.out << "allocator: " << allocator_description() << "\n";
  return kExitOk;
}

}  // namespace

KNHK_COMMAND(version, "print the version of this build", version_command);

}  // namespace knhk::cli
