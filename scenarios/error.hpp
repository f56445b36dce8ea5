// The one error a scenario file can produce: a position in the file and a message.
// what() is "FILE:LINE:COLUMN: message" with 1-based line and column, the form editors
// and compilers use, so a user can jump straight to the offending key.
#pragma once

#include <stdexcept>
#include <string>

namespace knhk::scenarios {

class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string file, int line, int column, std::string message)
      : std::runtime_error(file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                           message),
        file_(std::move(file)),
        line_(line),
        column_(column),
        message_(std::move(message)) {}

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string message_;
};

}  // namespace knhk::scenarios
