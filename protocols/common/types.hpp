// Strong types for identifiers, views, sequence numbers and virtual time.
// A View cannot be passed where a Seq is expected; mixing them is a build error.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace knhk {

using Bytes = std::vector<std::uint8_t>;

template <class Tag, class Rep>
struct StrongId {
  using rep_type = Rep;
  Rep value{};

  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep v) : value(v) {}
  constexpr auto operator<=>(const StrongId&) const = default;
  constexpr StrongId next() const { return StrongId(value + 1); }
};

using NodeId = StrongId<struct NodeIdTag, std::uint32_t>;
using ClientId = StrongId<struct ClientIdTag, std::uint32_t>;
using RequestId = StrongId<struct RequestIdTag, std::uint64_t>;
using View = StrongId<struct ViewTag, std::uint64_t>;
using Seq = StrongId<struct SeqTag, std::uint64_t>;
using Height = StrongId<struct HeightTag, std::uint64_t>;

// Durations and instants in nanoseconds of (virtual or real) time.
struct Duration {
  std::int64_t ns = 0;

  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return {ns + o.ns}; }
  constexpr Duration operator-(Duration o) const { return {ns - o.ns}; }
  constexpr Duration operator*(std::int64_t k) const { return {ns * k}; }
  constexpr Duration operator/(std::int64_t k) const { return {ns / k}; }
  constexpr double seconds() const { return static_cast<double>(ns) / 1e9; }
  constexpr double millis() const { return static_cast<double>(ns) / 1e6; }

  static constexpr Duration nanos(std::int64_t v) { return {v}; }
  static constexpr Duration micros(std::int64_t v) { return {v * 1000}; }
  static constexpr Duration millis_(std::int64_t v) { return {v * 1000000}; }
  static constexpr Duration secs(std::int64_t v) { return {v * 1000000000}; }
  static constexpr Duration from_seconds(double s) { return {static_cast<std::int64_t>(s * 1e9)}; }
};

constexpr Duration operator""_us(unsigned long long v) {
  return Duration::micros(static_cast<std::int64_t>(v));
}
constexpr Duration operator""_ms(unsigned long long v) {
  return Duration::millis_(static_cast<std::int64_t>(v));
}
constexpr Duration operator""_s(unsigned long long v) {
  return Duration::secs(static_cast<std::int64_t>(v));
}

struct Time {
  std::int64_t ns = 0;

  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Duration d) const { return {ns + d.ns}; }
  constexpr Time operator-(Duration d) const { return {ns - d.ns}; }
  constexpr Duration operator-(Time o) const { return {ns - o.ns}; }
  constexpr double seconds() const { return static_cast<double>(ns) / 1e9; }
};

// "250us", "30ms", "1.5s" — used by logs and error messages.
std::string to_string(Duration d);

// Replica and client principals share one key space for signatures.
struct Principal {
  enum class Kind : std::uint8_t { replica = 0, client = 1 };
  Kind kind = Kind::replica;
  std::uint32_t id = 0;

  constexpr auto operator<=>(const Principal&) const = default;
  static constexpr Principal replica(NodeId n) { return {Kind::replica, n.value}; }
  static constexpr Principal client(ClientId c) { return {Kind::client, c.value}; }
};

// n replicas tolerate f = floor((n-1)/3) faults; a quorum is n - f.
struct QuorumRules {
  std::uint32_t n = 0;
  constexpr std::uint32_t f() const { return (n - 1) / 3; }
  constexpr std::uint32_t quorum() const { return n - f(); }
  constexpr std::uint32_t weak_quorum() const { return f() + 1; }
};

}  // namespace knhk

template <class Tag, class Rep>
struct std::hash<knhk::StrongId<Tag, Rep>> {
  std::size_t operator()(const knhk::StrongId<Tag, Rep>& id) const noexcept {
    return std::hash<Rep>{}(id.value);
  }
};
