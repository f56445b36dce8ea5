#include "scenarios/units.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace knhk::scenarios {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// "123.45" split at the dot; both parts digits only, the integer part non-empty.
struct Decimal {
  std::string_view whole;
  std::string_view fraction;
};

bool split_decimal(std::string_view s, Decimal& out) {
  auto dot = s.find('.');
  out.whole = s.substr(0, dot);
  out.fraction = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  if (out.whole.empty()) return false;
  if (dot != std::string_view::npos && out.fraction.empty()) return false;
  for (char c : out.whole)
    if (!is_digit(c)) return false;
  for (char c : out.fraction)
    if (!is_digit(c)) return false;
  return true;
}

// whole.fraction × unit_ns as an exact integer, or false on overflow or sub-unit remainder.
bool scale_exact(const Decimal& d, std::uint64_t unit, std::uint64_t limit, std::uint64_t& out) {
  std::uint64_t whole = 0;
  for (char c : d.whole) {
    if (whole > (limit - (c - '0')) / 10) return false;
    whole = whole * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (whole > limit / unit) return false;
  std::uint64_t total = whole * unit;
  if (d.fraction.size() > 18) return false;
  std::uint64_t frac = 0, denom = 1;
  for (char c : d.fraction) {
    frac = frac * 10 + static_cast<std::uint64_t>(c - '0');
    denom *= 10;
  }
  // frac/denom < 1, so frac × unit fits when unit ≤ 6e10 and frac < 1e18 only if we
  // reduce first: divide out common factors of ten.
  while (denom > 1 && frac % 10 == 0) {
    frac /= 10;
    denom /= 10;
  }
  if (frac != 0) {
    if (unit % denom != 0) return false;  // finer than the unit allows (sub-nanosecond)
    std::uint64_t part = frac * (unit / denom);
    if (total > limit - part) return false;
    total += part;
  }
  out = total;
  return true;
}

struct Unit {
  std::string_view suffix;
  std::uint64_t scale;
};

// Longest suffixes first so "ms" is not read as "s".
constexpr std::array<Unit, 5> kDurationUnits{
    {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000}}};

const std::string kDurationHint = "a duration with a unit (e.g. 250us, 30ms, 2s, 1.5s, 1m)";

}  // namespace

Parsed<Duration> parse_duration(std::string_view text, bool allow_negative) {
  Parsed<Duration> r;
  std::string_view s = text;
  bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  if (s == "0") return r;
  for (const Unit& u : kDurationUnits) {
    if (s.size() <= u.suffix.size() || !s.ends_with(u.suffix)) continue;
    Decimal d;
    if (!split_decimal(s.substr(0, s.size() - u.suffix.size()), d)) break;
    std::uint64_t ns = 0;
    if (!scale_exact(d, u.scale, std::numeric_limits<std::int64_t>::max(), ns)) {
      r.error = "is out of range or finer than 1ns";
      return r;
    }
    if (negative && !allow_negative && ns != 0) {
      r.error = "must not be negative";
      return r;
    }
    r.value =
        Duration::nanos(negative ? -static_cast<std::int64_t>(ns) : static_cast<std::int64_t>(ns));
    return r;
  }
  r.error = "must be " + kDurationHint;
  return r;
}

Parsed<double> parse_number(std::string_view text) {
  Parsed<double> r;
  std::string_view s = text;
  bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  Decimal d;
  if (!split_decimal(s, d)) {
    r.error = "must be a number";
    return r;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
    r.error = "must be a finite number";
    return r;
  }
  r.value = negative ? -v : v;
  return r;
}

Parsed<double> parse_rate(std::string_view text) {
  Parsed<double> r;
  auto slash = text.find('/');
  const std::string hint = "must be a rate such as 1000/s (per s, ms or m)";
  if (slash == std::string_view::npos) {
    r.error = hint;
    return r;
  }
  std::string_view per = text.substr(slash + 1);
  double scale = per == "s" ? 1.0 : per == "ms" ? 1000.0 : per == "m" ? 1.0 / 60.0 : 0.0;
  auto count = parse_number(text.substr(0, slash));
  if (scale == 0.0 || !count.ok() || count.value < 0) {
    r.error = hint;
    return r;
  }
  r.value = count.value * scale;
  return r;
}

Parsed<std::uint64_t> parse_bandwidth(std::string_view text) {
  Parsed<std::uint64_t> r;
  constexpr std::array<Unit, 4> units{
      {{"Gbps", 1000000000}, {"Mbps", 1000000}, {"Kbps", 1000}, {"bps", 1}}};
  for (const Unit& u : units) {
    if (!text.ends_with(u.suffix)) continue;
    Decimal d;
    std::uint64_t bps = 0;
    if (split_decimal(text.substr(0, text.size() - u.suffix.size()), d) &&
        scale_exact(d, u.scale, std::numeric_limits<std::int64_t>::max(), bps)) {
      r.value = bps;
      return r;
    }
    break;
  }
  r.error = "must be a bandwidth such as 1Gbps, 100Mbps, 64Kbps or 9600bps";
  return r;
}

std::string format_duration(Duration d) {
  if (d.ns != 0 && d.ns % 60000000000 == 0) return std::to_string(d.ns / 60000000000) + "m";
  if (d.ns == 0) return "0s";
  return to_string(d);
}

std::string format_number(double v) {
  std::array<char, 64> buf{};
  auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  std::string s(buf.data(), ptr);
  // to_chars may pick scientific notation ("1e-05"); the parser wants plain decimals.
  if (s.find('e') != std::string::npos) {
    auto [p2, ec2] =
        std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed);
    s.assign(buf.data(), p2);
  }
  return s;
}

std::string format_rate(double per_second) {
  return format_number(per_second) + "/s";
}

std::string format_bandwidth(std::uint64_t bps) {
  if (bps != 0 && bps % 1000000000 == 0) return std::to_string(bps / 1000000000) + "Gbps";
  if (bps != 0 && bps % 1000000 == 0) return std::to_string(bps / 1000000) + "Mbps";
  if (bps != 0 && bps % 1000 == 0) return std::to_string(bps / 1000) + "Kbps";
  return std::to_string(bps) + "bps";
}

}  // namespace knhk::scenarios
