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

Scheduler::Scheduler() : closure_runner_(new ClosureRunner(*this)) {
  heap_.reserve(1024);
}

Scheduler::~Scheduler() {
  delete closure_runner_;
}

std::uint64_t Scheduler::target_index(EventTarget* t) {
  if (t == last_target_) return last_target_index_;
  std::size_t i = 0;
  while (i < targets_.size() && targets_[i] != t) ++i;
  if (i == targets_.size()) {
    if (targets_.size() == (std::size_t{1} << kTargetBits))
      throw std::length_error("Scheduler: too many distinct event targets");
    targets_.push_back(t);
  }
  last_target_ = t;
  last_target_index_ = i;
  return i;
}

EventId Scheduler::at(Time t, EventTarget* target, std::uint64_t arg) {
  if (t < now_) t = now_;
  const EventId id = next_seq_++;
  push(Entry{t.ns, (id << kTargetBits) | target_index(target), arg});
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
  for (std::size_t i = 0; i < heap_.size(); ++i) {
    if ((heap_[i].key >> kTargetBits) != id) continue;
    const std::uint64_t target = heap_[i].key & ((1u << kTargetBits) - 1);
    if (targets_[target] == closure_runner_) {
      closures_[heap_[i].arg] = nullptr;
      free_closures_.push_back(static_cast<std::uint32_t>(heap_[i].arg));
    }
    remove_at(i);
    return true;
  }
  return false;
}

bool Scheduler::step() {
  if (heap_.empty()) return false;
  const Entry e = pop();
  now_ = Time{e.time};
  ++events_run_;
  prefetch_upcoming();
  target_of(e)->on_event(e.arg);
  return true;
}

// A message delivered now was sent one link delay ago, thousands of events back: its
// payload has left the cache. The two events after this one are known (the heap's root
// and its smallest child), so their payloads are requested before this event runs —
// the later one's slot first, then, by the time it is next, what that slot points to.
void Scheduler::prefetch_upcoming() const {
  const std::size_t n = heap_.size();
  if (n == 0) return;
  target_of(heap_[0])->prefetch_next(heap_[0].arg);
  if (n == 1) return;
  const std::size_t end = kArity + 1 < n ? kArity + 1 : n;
  std::size_t child = 1;
  for (std::size_t c = 2; c < end; ++c)
    if (before(heap_[c], heap_[child])) child = c;
  target_of(heap_[child])->prefetch_later(heap_[child].arg);
}

std::uint64_t Scheduler::run_until(Time until) {
  stop_requested_ = false;
  std::uint64_t ran = 0;
  while (!heap_.empty() && heap_.front().time <= until.ns && !stop_requested_) {
    step();
    ++ran;
  }
  if (!stop_requested_ && now_ < until) now_ = until;
  return ran;
}

Time Scheduler::next_time() const {
  if (heap_.empty()) throw std::logic_error("Scheduler::next_time on an empty queue");
  return Time{heap_.front().time};
}

// A d-ary heap with "hole" sifting: one move per level instead of a swap.
void Scheduler::push(const Entry& e) {
  heap_.push_back(e);
  sift_up(heap_.size() - 1);
}

void Scheduler::sift_up(std::size_t i) {
  const Entry e = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!before(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

void Scheduler::sift_down(std::size_t i) {
  const std::size_t n = heap_.size();
  const Entry e = heap_[i];
  for (;;) {
    const std::size_t first = kArity * i + 1;
    if (first >= n) break;
    const std::size_t last = first + kArity < n ? first + kArity : n;
    std::size_t child = first;
    for (std::size_t c = first + 1; c < last; ++c)
      if (before(heap_[c], heap_[child])) child = c;
    if (!before(heap_[child], e)) break;
    heap_[i] = heap_[child];
    i = child;
  }
  heap_[i] = e;
}

// Bottom-up deletion (Wegener): walk the hole from the root down the path of smallest
// children to a leaf without comparing against the moved element, then sift that
// element up from the leaf. The last element usually belongs near the bottom, so this
// saves a comparison per level.
Scheduler::Entry Scheduler::pop() {
  const Entry top = heap_.front();
  const Entry last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return top;
  std::size_t hole = 0;
  for (;;) {
    const std::size_t first = kArity * hole + 1;
    if (first >= n) break;
    const std::size_t end = first + kArity < n ? first + kArity : n;
    std::size_t child = first;
    for (std::size_t c = first + 1; c < end; ++c)
      if (before(heap_[c], heap_[child])) child = c;
    heap_[hole] = heap_[child];
    hole = child;
  }
  heap_[hole] = last;
  sift_up(hole);
  return top;
}

void Scheduler::remove_at(std::size_t i) {
  const Entry last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;
  heap_[i] = last;
  sift_down(i);
  sift_up(i);
}

}  // namespace knhk::sim
