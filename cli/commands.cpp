#include "cli/commands.hpp"

#include <stdexcept>

namespace po = boost::program_options;

namespace knhk::cli {

CommandRegistry& CommandRegistry::global() {
  static CommandRegistry registry;  // function-local: safe during static initialisation
  return registry;
}

void CommandRegistry::add(Command c) {
  std::string name = c.name;
  if (!commands_.emplace(name, std::move(c)).second)
    throw std::logic_error("knhk command registered twice: " + name);
}

const Command* CommandRegistry::find(std::string_view name) const {
  auto it = commands_.find(name);
  return it == commands_.end() ? nullptr : &it->second;
}

std::vector<const Command*> CommandRegistry::list() const {
  std::vector<const Command*> all;
  for (const auto& [name, c] : commands_) all.push_back(&c);
  return all;
}

void print_usage(std::ostream& out) {
  out << "usage: knhk COMMAND [options]\n\ncommands:\n";
  for (const Command* c : CommandRegistry::global().list()) {
    std::string name = c->name;
    name.resize(std::max<std::size_t>(name.size(), 10), ' ');
    out << "  " << name << "  " << c->summary << "\n";
  }
  out << "\n`knhk COMMAND --help` describes a command's options.\n";
}

int dispatch(const std::vector<std::string>& args, CommandIo io) {
  if (args.empty()) {
    print_usage(io.err);
    return kExitUsage;
  }
  const std::string& name = args.front();
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(io.out);
    return kExitOk;
  }
  const Command* c = CommandRegistry::global().find(name == "--version" ? "version" : name);
  if (!c) {
    io.err << "knhk: unknown command `" << name << "`\n\n";
    print_usage(io.err);
    return kExitUsage;
  }
  return c->run(std::vector<std::string>(args.begin() + 1, args.end()), io);
}

std::optional<int> parse_options(const std::string& command, const std::string& synopsis,
                                 const std::vector<std::string>& args,
                                 po::options_description options,
                                 const po::positional_options_description& positional,
                                 po::variables_map& vm, CommandIo io) {
  options.add_options()("help,h", "show this help");
  auto usage = [&](std::ostream& out) { out << "usage: " << synopsis << "\n\n" << options; };
  try {
    po::store(
        po::command_line_parser(args)
            .options(options)
            .positional(positional)
            .style(po::command_line_style::unix_style ^ po::command_line_style::allow_guessing)
            .run(),
        vm);
    if (vm.count("help")) {
      usage(io.out);
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    io.err << "knhk " << command << ": " << e.what() << "\n\n";
    usage(io.err);
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace knhk::cli
