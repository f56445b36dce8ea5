#include "sim/event_heap.hpp"

namespace knhk::sim {

// A d-ary heap with "hole" sifting: one move per level instead of a swap.
void EventHeap::push(const QueuedEvent& e) {
  heap_.push_back(e);
  sift_up(heap_.size() - 1);
}

void EventHeap::sift_up(std::size_t i) {
  const QueuedEvent e = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!runs_before(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

void EventHeap::sift_down(std::size_t i) {
  const std::size_t n = heap_.size();
  const QueuedEvent e = heap_[i];
  for (;;) {
    if (kArity * i + 1 >= n) break;
    const std::size_t child = first_child(i);
    if (!runs_before(heap_[child], e)) break;
    heap_[i] = heap_[child];
    i = child;
  }
  heap_[i] = e;
}

// Bottom-up deletion (Wegener): walk the hole from the root down the path of smallest
// children to a leaf without comparing against the moved element, then sift that
// element up from the leaf. The last element usually belongs near the bottom, so this
// saves a comparison per level.
QueuedEvent EventHeap::pop() {
  const QueuedEvent top = heap_.front();
  const QueuedEvent last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return top;
  std::size_t hole = 0;
  for (;;) {
    if (kArity * hole + 1 >= n) break;
    const std::size_t child = first_child(hole);
    heap_[hole] = heap_[child];
    hole = child;
  }
  heap_[hole] = last;
  sift_up(hole);
  return top;
}

bool EventHeap::remove_key(std::uint64_t id, unsigned shift, QueuedEvent& removed) {
  for (std::size_t i = 0; i < heap_.size(); ++i) {
    if ((heap_[i].key >> shift) != id) continue;
    removed = heap_[i];
    remove_at(i);
    return true;
  }
  return false;
}

void EventHeap::remove_at(std::size_t i) {
  const QueuedEvent last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;
  heap_[i] = last;
  sift_down(i);
  sift_up(i);
}

}  // namespace knhk::sim
