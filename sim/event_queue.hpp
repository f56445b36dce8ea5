// The simulator's event queue: a time wheel of lazily sorted buckets over an overflow
// heap, popping events in exactly (time, key) order.
//
// Why a wheel: the simulator's load is a few thousand pending events, nearly all one
// link delay (tens of ms) ahead, inserted in roughly the order they will run. An 8-ary
// heap paid ~log8(n) levels of 8-way comparisons per pop and per push for that; the
// wheel pays an append per push and a sort of a handful of entries per bucket. Events
// further ahead than the wheel spans wait in an EventHeap and migrate into the wheel as
// it advances (each at most once). The current bucket is a sorted run, so the next two
// events are simply its first two entries (the scheduler's prefetch hints).
//
// Shape: bucket width 2^shift ns and 2^bits buckets. With `epoch_pops` > 0 the queue
// re-fits its shape to the load every epoch_pops pops, the first time after 512 (a few
// events per bucket; a span covering 7/8 of recent insertion delays), and rebuilds
// itself when the fit moved far enough; the shape affects only speed, never the order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/event_heap.hpp"

namespace knhk::sim {

struct WheelShape {
  unsigned shift = 12;  // bucket width 2^shift ns
  unsigned bits = 12;   // 2^bits buckets (at least 6: one bitmap word)
  friend bool operator==(const WheelShape&, const WheelShape&) = default;
};

struct EventQueueConfig {
  WheelShape shape{};
  std::uint32_t epoch_pops = 4096;  // 0: keep `shape` forever
};

// What one epoch of the load looked like, for fitting the wheel's shape.
struct LoadSample {
  std::uint64_t pops = 0;
  std::int64_t elapsed_ns = 0;  // virtual time covered by those pops
  // delays[i]: insertions whose delay (time - last popped time) has bit width i.
  std::array<std::uint64_t, 65> delays{};
};

// The shape for `load`, or `current` when the fit is close enough to it (hysteresis: a
// rebuild costs O(pending)).
WheelShape fit_wheel_shape(const LoadSample& load, WheelShape current);

class EventQueue {
 public:
  explicit EventQueue(EventQueueConfig config = {});

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The earliest event; only when !empty().
  const QueuedEvent& front() const { return cur_[pos_]; }
  // The event after front() when it is already known (null when only one is pending).
  const QueuedEvent* second() const { return pos_ + 1 < cur_.size() ? &cur_[pos_ + 1] : nullptr; }

  // `e.time` must not be earlier than the last popped event's time.
  void push(const QueuedEvent& e);
  QueuedEvent pop();
  // Removes the event whose key satisfies `key >> key_shift == id`; O(size + buckets).
  bool remove_key(std::uint64_t id, unsigned key_shift, QueuedEvent& removed);

  WheelShape shape() const { return shape_; }
  std::uint64_t reshapes() const { return reshapes_; }

 private:
  std::uint64_t bucket_of(std::int64_t t) const {
    return static_cast<std::uint64_t>(t) >> shape_.shift;
  }
  std::uint64_t bucket_count() const { return std::uint64_t{1} << shape_.bits; }
  std::size_t remaining() const { return cur_.size() - pos_; }
  void place(const QueuedEvent& e);
  void insert_current(const QueuedEvent& e);
  void file(const QueuedEvent& e);
  void rewind(std::uint64_t bucket);
  void evict_from(std::uint64_t first);
  void put_in_wheel(std::uint64_t bucket, const QueuedEvent& e);
  void keep_two_known();
  void open_next_bucket();
  static void sort_run(std::vector<QueuedEvent>::iterator first,
                       std::vector<QueuedEvent>::iterator last);
  bool next_wheel_bucket(std::uint64_t& bucket) const;
  void take_wheel_bucket(std::uint64_t bucket);
  void migrate_overflow();
  void end_epoch();
  void reshape(WheelShape shape);

  WheelShape shape_;
  std::uint32_t epoch_pops_;
  std::uint32_t epoch_len_;  // pops in the current epoch before the next fit
  std::size_t size_ = 0;
  // Every pending event of bucket <= cur_bucket_, sorted; [pos_, end) are pending.
  std::vector<QueuedEvent> cur_;
  std::size_t pos_ = 0;
  std::uint64_t cur_bucket_ = 0;
  // Slot b mod 2^bits holds bucket b's events (cur_bucket_ < b < cur_bucket_ + 2^bits),
  // unsorted; a bit per slot says it is non-empty.
  std::vector<std::vector<QueuedEvent>> wheel_;
  std::vector<std::uint64_t> occupied_;
  std::size_t in_wheel_ = 0;
  // Events of bucket >= cur_bucket_ + 2^bits.
  EventHeap overflow_;

  std::int64_t last_time_ = 0;  // time of the last popped event
  LoadSample epoch_;
  std::int64_t epoch_start_ = 0;
  std::uint64_t reshapes_ = 0;
};

}  // namespace knhk::sim
