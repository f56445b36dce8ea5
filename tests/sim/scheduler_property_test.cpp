// The scheduler against a reference model (a std::set of (time, seq)): random
// interleavings of at()/after() (equal times, the past, the current bucket, bucket
// boundaries, the far future), closures, cancel(), step() and run_until() must run the
// same events in the same order, with the same clock, on every queue shape — tiny
// buckets and wheels that wrap and overflow, shapes refitted every few pops, and the
// default.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <iterator>
#include <set>
#include <utility>
#include <vector>

#include "sim/scheduler.hpp"

using knhk::Duration;
using knhk::Time;
using knhk::sim::EventQueueConfig;
using knhk::sim::Scheduler;
using knhk::sim::WheelShape;

namespace {

using Key = std::pair<std::int64_t, std::uint64_t>;  // (time, seq)

// Records what ran (seq, time) and the last prefetch hints.
struct Log final : knhk::sim::EventTarget {
  Scheduler* s = nullptr;
  std::vector<Key> ran;
  std::uint64_t hinted_next = ~0ull, hinted_later = ~0ull;
  void on_event(std::uint64_t seq) override { ran.push_back({s->now().ns, seq}); }
  void prefetch_next(std::uint64_t seq) override { hinted_next = seq; }
  void prefetch_later(std::uint64_t seq) override { hinted_later = seq; }
};

// A time relative to `now`, drawn to hit the edges of the queue's current shape: equal
// times, the current bucket, bucket boundaries, the end of the wheel and beyond.
std::int64_t draw_time(std::int64_t now, WheelShape shape, const std::set<Key>& pending) {
  const unsigned shift = shape.shift;
  switch (*rc::gen::inRange(0, 8)) {
    case 0:
      return now;
    case 1:  // the past: clamped to now
      return now - *rc::gen::inRange<std::int64_t>(1, 1000);
    case 2:  // the near window, often the current bucket
      return now + *rc::gen::inRange<std::int64_t>(0, 64);
    case 3: {  // just around a bucket boundary, up to two wheel spans ahead
      const std::int64_t buckets = std::int64_t{2} << shape.bits;
      const std::int64_t bucket = (now >> shift) + *rc::gen::inRange<std::int64_t>(0, buckets);
      return (bucket << shift) + *rc::gen::inRange<std::int64_t>(-1, 2);
    }
    case 4:  // far future: beyond any small wheel
      return now + *rc::gen::inRange<std::int64_t>(0, std::int64_t{1} << 32);
    case 5:  // exactly the time of a pending event
      if (!pending.empty()) {
        auto it = pending.begin();
        std::advance(it, *rc::gen::inRange<std::size_t>(0, pending.size()));
        return it->first;
      }
      return now;
    case 6:
      return now + *rc::gen::inRange<std::int64_t>(0, 100000);
    default:  // near the end of the wheel's span
      return now + (std::int64_t{1} << (shift + shape.bits)) +
             *rc::gen::inRange<std::int64_t>(-64, 64);
  }
}

// One random run against the model; every step checks order, clock, pending(),
// next_time() and the prefetch hints.
void check_against_model(const EventQueueConfig& config) {
  {
    Scheduler s(config);
    Log log;
    log.s = &s;
    std::set<Key> model;
    std::vector<Key> expected;
    std::set<std::uint64_t> closures;  // seqs scheduled as closures
    std::uint64_t next_seq = 0;
    std::int64_t now = 0;

    // Runs the model's earliest event; checks the scheduler's hints for the two after it
    // (closures take no hints).
    const auto run_one = [&] {
      const Key k = *model.begin();
      model.erase(model.begin());
      now = k.first;
      expected.push_back(k);
      log.hinted_next = log.hinted_later = ~0ull;
      RC_ASSERT(s.step());
      const auto hinted = [&](std::uint64_t hint, std::uint64_t seq) {
        RC_ASSERT(hint == (closures.count(seq) != 0 ? ~0ull : seq));
      };
      if (!model.empty()) hinted(log.hinted_next, model.begin()->second);
      if (model.size() >= 2) hinted(log.hinted_later, std::next(model.begin())->second);
    };

    const int ops = *rc::gen::inRange(0, 600);
    for (int i = 0; i < ops; ++i) {
      const int op = *rc::gen::inRange(0, 100);
      if (op < 55) {  // at() / after() / a closure
        const std::int64_t t = draw_time(now, s.queue().shape(), model);
        const std::uint64_t seq = next_seq++;
        std::uint64_t id;
        if (op < 5) {
          id = s.at(Time{t}, [&log, &s, seq] { log.ran.push_back({s.now().ns, seq}); });
          closures.insert(seq);
        } else if (op < 20) {
          id = s.after(Duration{t - now}, &log, seq);
        } else {
          id = s.at(Time{t}, &log, seq);
        }
        RC_ASSERT(id == seq);
        model.insert({t < now ? now : t, seq});
      } else if (op < 88) {  // step()
        if (model.empty()) {
          RC_ASSERT(!s.step());
        } else {
          run_one();
        }
      } else if (op < 96) {  // cancel(): pending, already run, or never issued
        const std::uint64_t id = *rc::gen::inRange<std::uint64_t>(0, next_seq + 2);
        bool in_model = false;
        for (auto it = model.begin(); it != model.end(); ++it) {
          if (it->second != id) continue;
          model.erase(it);
          in_model = true;
          break;
        }
        RC_ASSERT(s.cancel(id) == in_model);
      } else {  // run_until(): runs every event at or before the bound, then the clock moves
        const Time until{now + *rc::gen::inRange<std::int64_t>(0, 2000)};
        std::uint64_t n = 0;
        while (!model.empty() && model.begin()->first <= until.ns) {
          const Key k = *model.begin();
          model.erase(model.begin());
          expected.push_back(k);
          ++n;
        }
        RC_ASSERT(s.run_until(until) == n);
        now = until.ns;
      }
      RC_ASSERT(s.now().ns == now);
      RC_ASSERT(s.pending() == model.size());
      if (!model.empty()) RC_ASSERT(s.next_time().ns == model.begin()->first);
      RC_ASSERT(log.ran == expected);
    }
    while (!model.empty()) run_one();
    RC_ASSERT(!s.step());
    RC_ASSERT(log.ran == expected);
  }
}

}  // namespace

TEST_CASE("scheduler: pops exactly like a (time, seq) set under random operations",
          "[sim][scheduler][property]") {
  rc::prop("64 buckets of 4 ns: the wheel wraps and overflows constantly", [] {
    check_against_model(EventQueueConfig{WheelShape{2, 6}, 0});
  });
  rc::prop("shape refitted (and the queue rebuilt) every few pops", [] {
    const unsigned shift = *rc::gen::inRange(0u, 12u);
    check_against_model(EventQueueConfig{WheelShape{shift, 6}, *rc::gen::inRange(1u, 16u)});
  });
  rc::prop("the default queue", [] { check_against_model(EventQueueConfig{}); });
}

TEST_CASE("scheduler: the queue refits its wheel to a PBFT-like load", "[sim][scheduler]") {
  // ~100 events per simulated ms, each rescheduling itself 25-35 ms ahead.
  struct Relay final : knhk::sim::EventTarget {
    Scheduler* s = nullptr;
    std::uint64_t x = 88172645463325252ULL;
    void on_event(std::uint64_t arg) override {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      s->after(Duration::micros(25000 + static_cast<std::int64_t>(x % 10000)), this, arg);
    }
  } relay;
  Scheduler s;
  relay.s = &s;
  for (std::uint64_t i = 0; i < 3000; ++i)
    s.at(Time{static_cast<std::int64_t>(i) * 10000}, &relay, i);
  for (int i = 0; i < 50000; ++i) REQUIRE(s.step());
  // Buckets of a few events' spacing (~10 us apart), spanning the 35 ms delays.
  const WheelShape shape = s.queue().shape();
  CHECK(s.queue().reshapes() >= 1);
  CHECK(shape.shift >= 14);
  CHECK(shape.shift <= 17);
  CHECK((std::int64_t{1} << (shape.shift + shape.bits)) >= 35000000);
}

TEST_CASE("scheduler: wheel shape fitting", "[sim][scheduler]") {
  using knhk::sim::fit_wheel_shape;
  using knhk::sim::LoadSample;
  LoadSample load;
  load.pops = 4096;
  load.elapsed_ns = 4096 * 10000;  // an event every 10 us
  load.delays[25] = 4000;          // 16.7-33.5 ms ahead
  load.delays[31] = 96;            // a few timers a second or more ahead
  const WheelShape fit = fit_wheel_shape(load, WheelShape{12, 12});
  CHECK(fit.shift == 16);  // 8 events x 10 us = 80 us -> 64 us buckets
  CHECK(fit.bits == 9);    // 2^25 ns span
  // Within a factor of two of the width, and a wheel a little larger: no rebuild.
  CHECK(fit_wheel_shape(load, WheelShape{15, 11}) == (WheelShape{15, 11}));
  // A wheel too small grows.
  CHECK(fit_wheel_shape(load, WheelShape{16, 7}) == (WheelShape{16, 9}));

  // 100,000 pending within 1 ms: an event every 10 ns, but 2^20 ns / 80 ns would be
  // 2^14 buckets; the buckets widen instead.
  LoadSample dense;
  dense.pops = 4096;
  dense.elapsed_ns = 4096 * 10;
  dense.delays[20] = 4096;
  CHECK(fit_wheel_shape(dense, WheelShape{12, 12}) == (WheelShape{7, 13}));

  // Nothing to fit from.
  CHECK(fit_wheel_shape(LoadSample{}, WheelShape{3, 7}) == (WheelShape{3, 7}));
}
