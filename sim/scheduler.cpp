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

EventId Scheduler::at(Time t, EventTarget* target, std::uint64_t arg) {
  if (t < now_) t = now_;
  const EventId id = next_seq_++;
  push(Entry{t.ns, id, target, arg});
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
    if (heap_[i].seq != id) continue;
    if (heap_[i].target == closure_runner_) {
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
  e.target->on_event(e.arg);
  return true;
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

// A binary heap with "hole" sifting: one move per level instead of a swap.
void Scheduler::push(const Entry& e) {
  heap_.push_back(e);
  sift_up(heap_.size() - 1);
}

void Scheduler::sift_up(std::size_t i) {
  const Entry e = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
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
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], e)) break;
    heap_[i] = heap_[child];
    i = child;
  }
  heap_[i] = e;
}

Scheduler::Entry Scheduler::pop() {
  const Entry top = heap_.front();
  const Entry last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) {
    heap_.front() = last;
    sift_down(0);
  }
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
