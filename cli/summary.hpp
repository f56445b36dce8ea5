// The summary `knhk run` prints: as text for people, as one JSON object for tools.
#pragma once

#include <ostream>
#include <string>

#include "scenarios/runner.hpp"

namespace knhk::cli {

// `file` is the scenario path as given, for the replay command.
void print_summary_text(std::ostream& out, const scenarios::RunResult& r, const std::string& file);
void print_summary_json(std::ostream& out, const scenarios::RunResult& r, const std::string& file);
std::string replay_command(const scenarios::RunResult& r, const std::string& file);

}  // namespace knhk::cli
