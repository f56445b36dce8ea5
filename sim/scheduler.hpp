// Virtual time and the event queue of the simulator.
//
// Events are ordered by (time, insertion sequence): two events at the same virtual
// instant run in the order they were scheduled, so a run depends on nothing but its
// inputs. An event is a 24-byte POD naming a target object and a 64-bit argument, so the
// hot paths (message delivery, timers) allocate nothing per event. Closures
// (std::function) are available for rarer events such as faults.
//
// The queue (sim/event_queue.hpp) is a time wheel of lazily sorted buckets over an
// overflow heap rather than a heap alone: nearly every event is one link delay ahead and
// a few thousand are pending, so a push is an append to a bucket and a pop takes the
// next entry of the current, already sorted bucket — whose next entry is also the event
// after it, for the prefetch hints. It replaced an 8-ary heap whose pop, sift-up and
// child scans (for the second event's prefetch) cost ~8% of a PBFT benchmark's cycles.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "protocols/common/types.hpp"
#include "sim/event_queue.hpp"

namespace knhk::sim {

// Something that can be woken by the scheduler. `arg` is whatever the target passed
// when scheduling (typically an index into the target's own slab of payloads).
class EventTarget {
 public:
  virtual void on_event(std::uint64_t arg) = 0;
  // Hints that the event with `arg` runs next (`prefetch_next`) or the one after
  // (`prefetch_later`), so the target can start loading its payload into the cache while
  // the current event runs. Only a hint: a later-scheduled event may overtake it.
  virtual void prefetch_next(std::uint64_t /*arg*/) {}
  virtual void prefetch_later(std::uint64_t /*arg*/) {}

 protected:
  ~EventTarget() = default;

 private:
  friend class Scheduler;
  // The target's index in the scheduler that last looked it up: a hint, checked before use,
  // so scheduling an event usually finds the index without searching.
  std::uint64_t index_hint_ = 0;
};

// Identifies one scheduled event (its insertion sequence number).
using EventId = std::uint64_t;

class Scheduler {
 public:
  Scheduler();
  // A queue of a given shape (tests use tiny buckets and wheels to reach their edges).
  explicit Scheduler(EventQueueConfig queue);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  Time now() const { return now_; }
  // Schedules target->on_event(arg) at `at` (clamped to now: never in the past).
  // At most 256 distinct targets may be used with one scheduler.
  EventId at(Time at, EventTarget* target, std::uint64_t arg);
  EventId after(Duration d, EventTarget* target, std::uint64_t arg) {
    return at(now_ + d, target, arg);
  }
  // Schedules a closure; slower than a target, meant for faults and test scripts.
  EventId at(Time at, std::function<void()> fn);
  EventId after(Duration d, std::function<void()> fn) { return at(now_ + d, std::move(fn)); }

  // Cancels a pending event; returns false if it already ran, was cancelled, or never
  // existed. O(pending): meant for rare cancellations (the simulator's timers use
  // generation counters instead and never call this on the hot path).
  bool cancel(EventId id);

  // Runs the next event, if any. Returns false when the queue is empty.
  bool step();
  // Runs every event with time <= until, then sets now() to `until`.
  // Returns the number of events run.
  std::uint64_t run_until(Time until);
  // Stops run_until() after the current event (e.g. from inside a handler).
  void stop() { stop_requested_ = true; }

  // Events scheduled and not yet run or cancelled.
  std::size_t pending() const { return queue_.size(); }
  Time next_time() const;  // time of the earliest queued entry; only valid when pending() > 0
  std::uint64_t events_run() const { return events_run_; }
  const EventQueue& queue() const { return queue_; }

 private:
  using Entry = QueuedEvent;
  class ClosureRunner;
  // The target is an index into targets_ kept in the low kTargetBits of an entry's key,
  // above it the insertion sequence.
  static constexpr unsigned kTargetBits = 8;

  // The target's hint is right unless it was last used with another scheduler.
  std::uint64_t target_index(EventTarget* t) {
    const std::uint64_t hint = t->index_hint_;
    if (hint < targets_.size() && targets_[hint] == t) [[likely]]
      return hint;
    return look_up_target(t);
  }
  std::uint64_t look_up_target(EventTarget* t);
  EventTarget* target_of(const Entry& e) const {
    return targets_[e.key & ((1u << kTargetBits) - 1)];
  }
  void prefetch_upcoming() const;

  Time now_{};
  std::uint64_t next_seq_ = 0;
  std::uint64_t events_run_ = 0;
  bool stop_requested_ = false;
  EventQueue queue_;
  // Closures live in a slab with a free list; the queued entry carries the slot index.
  std::vector<std::function<void()>> closures_;
  std::vector<std::uint32_t> free_closures_;
  ClosureRunner* closure_runner_;
  // Registered targets (at most 2^kTargetBits); each remembers its index (EventTarget).
  std::vector<EventTarget*> targets_;
};

}  // namespace knhk::sim
