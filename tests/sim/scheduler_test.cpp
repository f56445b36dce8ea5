// The event queue: (time, insertion order), cancellation, run_until semantics.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/rng.hpp"
#include "sim/scheduler.hpp"

using knhk::Duration;
using knhk::Time;
using knhk::sim::Scheduler;

namespace {
struct Recorder final : knhk::sim::EventTarget {
  std::vector<std::uint64_t> seen;
  void on_event(std::uint64_t arg) override { seen.push_back(arg); }
};
Time at_ms(std::int64_t ms) {
  return Time{ms * 1000000};
}
}  // namespace

TEST_CASE("scheduler: events run in time order, ties in insertion order", "[sim][scheduler]") {
  Scheduler s;
  Recorder r;
  s.at(at_ms(5), &r, 50);
  s.at(at_ms(1), &r, 10);
  s.at(at_ms(5), &r, 51);
  s.at(at_ms(3), &r, 30);
  s.at(at_ms(5), &r, 52);
  s.at(at_ms(1), &r, 11);
  REQUIRE(s.pending() == 6);
  while (s.step()) {
  }
  REQUIRE(r.seen == std::vector<std::uint64_t>{10, 11, 30, 50, 51, 52});
  REQUIRE(s.now() == at_ms(5));
  REQUIRE(s.events_run() == 6);
}

TEST_CASE("scheduler: a large random workload pops in (time, seq) order", "[sim][scheduler]") {
  Scheduler s;
  knhk::sim::Rng rng(9);
  struct Check final : knhk::sim::EventTarget {
    Scheduler* s;
    std::int64_t last_time = -1;
    std::uint64_t last_arg = 0;
    bool ok = true;
    void on_event(std::uint64_t arg) override {
      // arg = insertion index; for equal times it must increase.
      const std::int64_t t = s->now().ns;
      if (t < last_time || (t == last_time && arg < last_arg)) ok = false;
      last_time = t;
      last_arg = arg;
    }
  } check;
  check.s = &s;
  for (std::uint64_t i = 0; i < 20000; ++i)
    s.at(Time{static_cast<std::int64_t>(rng.below(500))}, &check, i);
  while (s.step()) {
  }
  REQUIRE(check.ok);
  REQUIRE(s.events_run() == 20000);
}

TEST_CASE("scheduler: cancel removes exactly one pending event", "[sim][scheduler]") {
  Scheduler s;
  Recorder r;
  const auto a = s.at(at_ms(1), &r, 1);
  const auto b = s.at(at_ms(2), &r, 2);
  s.at(at_ms(3), &r, 3);
  REQUIRE(s.cancel(b));
  REQUIRE_FALSE(s.cancel(b));  // already cancelled
  REQUIRE(s.pending() == 2);
  s.run_until(at_ms(10));
  REQUIRE(r.seen == std::vector<std::uint64_t>{1, 3});
  REQUIRE_FALSE(s.cancel(a));  // already ran
  REQUIRE_FALSE(s.cancel(12345));
}

TEST_CASE("scheduler: cancelled closures never run", "[sim][scheduler]") {
  Scheduler s;
  std::string log;
  s.at(at_ms(1), [&] { log += "a"; });
  const auto id = s.at(at_ms(2), [&] { log += "b"; });
  s.at(at_ms(3), [&] { log += "c"; });
  REQUIRE(s.cancel(id));
  s.run_until(at_ms(5));
  REQUIRE(log == "ac");
}

TEST_CASE("scheduler: run_until stops at the bound and advances the clock to it",
          "[sim][scheduler]") {
  Scheduler s;
  Recorder r;
  s.at(at_ms(1), &r, 1);
  s.at(at_ms(2), &r, 2);
  s.at(at_ms(7), &r, 7);
  REQUIRE(s.run_until(at_ms(2)) == 2);  // events at exactly the bound run
  REQUIRE(s.now() == at_ms(2));
  REQUIRE(s.run_until(at_ms(5)) == 0);
  REQUIRE(s.now() == at_ms(5));
  REQUIRE(s.pending() == 1);
  REQUIRE(s.next_time() == at_ms(7));
}

TEST_CASE("scheduler: events scheduled from a handler, and in the past, keep order",
          "[sim][scheduler]") {
  Scheduler s;
  std::vector<std::string> log;
  s.at(at_ms(2), [&] {
    log.push_back("first");
    s.after(Duration{0}, [&] { log.push_back("same-instant"); });
    s.at(at_ms(1), [&] { log.push_back("past-clamped"); });  // clamped to now
  });
  s.at(at_ms(2), [&] { log.push_back("second"); });
  s.run_until(at_ms(3));
  REQUIRE(log == std::vector<std::string>{"first", "second", "same-instant", "past-clamped"});
}

TEST_CASE("scheduler: stop() ends run_until after the current event", "[sim][scheduler]") {
  Scheduler s;
  int ran = 0;
  s.at(at_ms(1), [&] {
    ++ran;
    s.stop();
  });
  s.at(at_ms(2), [&] { ++ran; });
  s.run_until(at_ms(10));
  REQUIRE(ran == 1);
  REQUIRE(s.now() == at_ms(1));
  s.run_until(at_ms(10));
  REQUIRE(ran == 2);
}

TEST_CASE("scheduler: targets shared by schedulers reach the right target in each",
          "[sim][scheduler]") {
  Recorder a, b, c;
  for (int round = 0; round < 3; ++round) {  // new schedulers, possibly at the same address
    Scheduler s1, s2;
    s2.at(at_ms(1), &c, 0);  // the targets get other indexes in s2 than in s1
    for (std::uint64_t i = 0; i < 6; ++i) {
      s1.at(at_ms(1 + i), i % 2 ? &a : &b, 100 + i);
      s2.at(at_ms(1 + i), i % 2 ? &b : &a, 200 + i);
      s1.at(at_ms(1 + i), &c, 300 + i);
    }
    s1.run_until(at_ms(10));
    s2.run_until(at_ms(10));
  }
  auto expected = [](std::vector<std::uint64_t> one_round) {
    std::vector<std::uint64_t> all;
    for (int round = 0; round < 3; ++round)
      all.insert(all.end(), one_round.begin(), one_round.end());
    return all;
  };
  // s1 runs before s2 in each round.
  REQUIRE(a.seen == expected({101, 103, 105, 200, 202, 204}));
  REQUIRE(b.seen == expected({100, 102, 104, 201, 203, 205}));
  REQUIRE(c.seen == expected({300, 301, 302, 303, 304, 305, 0}));
}
