// Text forms of the scenario's quantities: durations with a unit ("250us", "1.5s", "1m"),
// rates ("1000/s") and bandwidths ("1Gbps"). Parsers return a message instead of throwing,
// so the loader can attach the file position; formatters produce text the parsers accept
// and that parses back to exactly the same value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/common/types.hpp"

namespace knhk::scenarios {

template <class T>
struct Parsed {
  T value{};
  std::string error;  // empty on success
  bool ok() const { return error.empty(); }
};

// Units: ns, us, ms, s, m. A decimal fraction is allowed as long as the result is a whole
// number of nanoseconds ("1.5s", "0.25ms"); a leading '-' only when `allow_negative`.
Parsed<Duration> parse_duration(std::string_view text, bool allow_negative = false);
// Per-second rate: "1000/s", "2.5/ms", "60/m".
Parsed<double> parse_rate(std::string_view text);
// Bits per second: "1Gbps", "100Mbps", "64Kbps", "9600bps" (fractions allowed: "1.5Gbps").
Parsed<std::uint64_t> parse_bandwidth(std::string_view text);
// A plain decimal number (no unit), e.g. a probability; rejects "nan", "inf", hex.
Parsed<double> parse_number(std::string_view text);

std::string format_duration(Duration d);  // largest exact unit: "1m", "1500ms", "250us"
std::string format_rate(double per_second);
std::string format_bandwidth(std::uint64_t bps);
std::string format_number(double v);  // shortest text that parses back to `v`

}  // namespace knhk::scenarios
