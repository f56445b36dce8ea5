#include "sim/scheduler.hpp"

#include <stdexcept>

namespace knhk::sim {

// Runs closures stored in the scheduler's slab; the event argument is the slot index.
class Scheduler::ClosureRunner final : public EventTarget {
 public:
  explicit ClosureRunner(Scheduler& s) : s_(s) {}
  void on_event(std::uint64_t slot) override {
    auto fn = std::move(s_.closures_[slot]);
    s_.closures_[slot] = nullptr;
    s_.free_closures_.push_back(static_cast<std::uint32_t>(slot));
    fn();
  }

 private:
  Scheduler& s_;
};

Scheduler::Scheduler() : Scheduler(EventQueueConfig{}) {}

Scheduler::Scheduler(EventQueueConfig queue)
    : queue_(queue), closure_runner_(new ClosureRunner(*this)) {}

Scheduler::~Scheduler() {
  delete closure_runner_;
}

// Registers a target on first use; sets its hint.
std::uint64_t Scheduler::look_up_target(EventTarget* t) {
  std::size_t i = 0;
  while (i < targets_.size() && targets_[i] != t) ++i;
  if (i == targets_.size()) {
    if (targets_.size() == (std::size_t{1} << kTargetBits))
      throw std::length_error("Scheduler: too many distinct event targets");
    targets_.push_back(t);
  }
  t->index_hint_ = i;
  return i;
}

EventId Scheduler::at(Time t, EventTarget* target, std::uint64_t arg) {
  if (t < now_) t = now_;
  const EventId id = next_seq_++;
  queue_.push(Entry{t.ns, (id << kTargetBits) | target_index(target), arg});
  return id;
}

EventId Scheduler::at(Time t, std::function<void()> fn) {
  std::uint32_t slot;
  if (!free_closures_.empty()) {
    slot = free_closures_.back();
    free_closures_.pop_back();
    closures_[slot] = std::move(fn);
  } else {
    slot = static_cast<std::uint32_t>(closures_.size());
    closures_.push_back(std::move(fn));
  }
  return at(t, closure_runner_, slot);
}

bool Scheduler::cancel(EventId id) {
  Entry removed{};
  if (!queue_.remove_key(id, kTargetBits, removed)) return false;
  if (target_of(removed) == closure_runner_) {
    closures_[removed.arg] = nullptr;
    free_closures_.push_back(static_cast<std::uint32_t>(removed.arg));
  }
  return true;
}

bool Scheduler::step() {
  if (queue_.empty()) return false;
  const Entry e = queue_.pop();
  now_ = Time{e.time};
  ++events_run_;
  prefetch_upcoming();
  target_of(e)->on_event(e.arg);
  return true;
}

// A message delivered now was sent one link delay ago, thousands of events back: its
// payload has left the cache. The two events after this one are the head of the queue's
// sorted current bucket, so their payloads are requested before this event runs — the
// later one's slot first, then, by the time it is next, what that slot points to.
void Scheduler::prefetch_upcoming() const {
  if (queue_.empty()) return;
  const Entry& next = queue_.front();
  target_of(next)->prefetch_next(next.arg);
  if (const Entry* later = queue_.second()) target_of(*later)->prefetch_later(later->arg);
}

std::uint64_t Scheduler::run_until(Time until) {
  stop_requested_ = false;
  std::uint64_t ran = 0;
  while (!queue_.empty() && queue_.front().time <= until.ns && !stop_requested_) {
    step();
    ++ran;
  }
  if (!stop_requested_ && now_ < until) now_ = until;
  return ran;
}

Time Scheduler::next_time() const {
  if (queue_.empty()) throw std::logic_error("Scheduler::next_time on an empty queue");
  return Time{queue_.front().time};
}

}  // namespace knhk::sim
