// `knhk`: every subcommand lives in knhk_cli_lib (see cli/commands.hpp).
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/large_pages.hpp"

int main(int argc, char** argv) {
  knhk::cli::use_large_pages(argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return knhk::cli::dispatch(args, {std::cout, std::cerr});
  } catch (const std::exception& e) {
    // Commands report their own errors; anything reaching here is a bug, said plainly.
    std::cerr << "knhk: internal error: " << e.what() << "\n";
    return 3;
  }
}
