// A small JSON reader for the files knhk itself writes (`run --report`, `sweep` lines):
// untrusted input, so nesting depth and size are bounded and every error is a message,
// never a crash.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace knhk::cli {

struct JsonValue {
  using Array = std::vector<JsonValue>;
  using Object = std::map<std::string, JsonValue>;
  std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<Array>,
               std::shared_ptr<Object>>
      v;

  const JsonValue* get(const std::string& key) const;  // nullptr unless an object with key
  std::optional<double> number(const std::string& key) const;
  std::optional<std::string> string(const std::string& key) const;
  std::optional<bool> boolean(const std::string& key) const;
};

struct JsonParse {
  std::optional<JsonValue> value;
  std::string error;  // "offset N: message" when value is empty
};

// Parses one JSON value that spans all of `text` (surrounding whitespace allowed).
JsonParse parse_json(std::string_view text);

}  // namespace knhk::cli
