// Command-line numbers for the benchmark programs: a wrong one must print usage, not
// become 0 (atoi) or an uncaught exception (std::stoull).
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>

namespace knhk::bench {

// A whole decimal number and nothing else, or nullopt.
inline std::optional<std::uint64_t> parse_count(const char* text) {
  std::uint64_t v = 0;
  const char* end = text + std::strlen(text);
  const auto [at, error] = std::from_chars(text, end, v);
  if (error != std::errc{} || at != end || at == text) return std::nullopt;
  return v;
}

}  // namespace knhk::bench
