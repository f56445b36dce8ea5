// The message log of §4.2: one entry per sequence number, kept between the stable
// checkpoint h and (about) the high watermark h + L, and iterated in sequence order.
//
// Why not std::map<Seq, Slot>: every PREPARE and COMMIT looks its slot up, at every
// replica (a walk over a tree of up to L nodes), and every slot was a node allocation plus
// two vote-table allocations, freed again at the next stable checkpoint. Here the entries
// are a ring indexed by seq − base (the numbers in use form a window, so the ring stays
// small), a lookup is an index computation, and an erased entry is cleared in place and
// keeps its vote tables' capacity for the number that reuses it.
//
// It behaves as the map did: an entry exists once created (try_emplace) until erased, and
// iteration visits existing entries in increasing sequence number. Numbers may be created
// in any order, below the lowest one too; the ring grows (doubling) to cover the span from
// the lowest to the highest existing number, so that span must stay bounded (the replica
// creates entries only inside its watermarks or next to the last executed number).
// Growing moves the entries: a pointer or reference to an entry stays valid only until the
// next try_emplace.
//
// `Value` must be default-constructible and have clear(), which leaves it equal to a
// default-constructed one (it may keep allocated capacity).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "protocols/common/types.hpp"

namespace knhk::pbft {

template <class Value>
class SlotLog {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  Value* find(Seq n) {
    if (!covers(n)) return nullptr;
    Entry& e = at(n);
    return e.present ? &e.value : nullptr;
  }
  const Value* find(Seq n) const { return const_cast<SlotLog*>(this)->find(n); }

  // The entry for n, created (default state) if absent, and whether it was created.
  std::pair<Value*, bool> try_emplace(Seq n) {
    cover(n);
    Entry& e = at(n);
    if (e.present) return {&e.value, false};
    e.present = true;
    ++size_;
    return {&e.value, true};
  }

  // Erases every entry numbered <= n, calling erased(seq) for each, in increasing order.
  template <class Erased>
  void erase_through(Seq n, Erased erased) {
    while (span_ > 0 && base_ <= n.value) {
      Entry& e = ring_[head_];
      if (e.present) {
        erased(Seq(base_));
        clear(e);
      }
      head_ = (head_ + 1) & mask();
      ++base_;
      --span_;
    }
  }

  // Erases every entry for which remove(seq, value) holds, in increasing order.
  template <class Remove>
  void erase_if(Remove remove) {
    for (std::size_t i = 0; i < span_; ++i) {
      Entry& e = ring_[(head_ + i) & mask()];
      if (e.present && remove(Seq(base_ + i), e.value)) clear(e);
    }
  }

  // Calls f(seq, value) for every entry in increasing order.
  template <class F>
  void for_each(F f) {
    for_each_after_index(0, [&](Seq n, Value& v) {
      f(n, v);
      return true;
    });
  }
  template <class F>
  void for_each(F f) const {
    const_cast<SlotLog*>(this)->for_each([&](Seq n, Value& v) { f(n, std::as_const(v)); });
  }
  // Calls f(seq, value) for the entries numbered > n in increasing order, until f returns
  // false.
  template <class F>
  void for_each_after(Seq n, F f) {
    for_each_after_index(first_index_after(n), f);
  }
  // Whether some entry is numbered > n.
  bool any_after(Seq n) const {
    for (std::size_t i = first_index_after(n); i < span_; ++i)
      if (ring_[(head_ + i) & mask()].present) return true;
    return false;
  }

 private:
  struct Entry {
    bool present = false;
    Value value;
  };

  std::size_t mask() const { return ring_.size() - 1; }
  bool covers(Seq n) const { return span_ > 0 && n.value >= base_ && n.value - base_ < span_; }
  Entry& at(Seq n) { return ring_[(head_ + (n.value - base_)) & mask()]; }
  std::size_t first_index_after(Seq n) const {
    if (span_ == 0 || n.value < base_) return 0;
    return n.value - base_ + 1 < span_ ? static_cast<std::size_t>(n.value - base_ + 1) : span_;
  }
  void clear(Entry& e) {
    e.value.clear();
    e.present = false;
    --size_;
  }
  template <class F>
  void for_each_after_index(std::size_t from, F f) {
    for (std::size_t i = from; i < span_; ++i) {
      Entry& e = ring_[(head_ + i) & mask()];
      if (e.present && !f(Seq(base_ + i), e.value)) return;
    }
  }

  // Extends the covered span to include n. Entries outside the span are absent and clear.
  void cover(Seq n) {
    if (span_ == 0) {
      reserve(1);
      base_ = n.value;
      span_ = 1;
    } else if (n.value < base_) {
      const std::size_t grow = static_cast<std::size_t>(base_ - n.value);
      reserve(span_ + grow);
      head_ = (head_ - grow) & mask();
      base_ = n.value;
      span_ += grow;
    } else if (n.value - base_ >= span_) {
      const std::size_t span = static_cast<std::size_t>(n.value - base_) + 1;
      reserve(span);
      span_ = span;
    }
  }
  // Room for `span` consecutive numbers: the ring doubles, the covered entries keep their
  // order and start at index 0.
  void reserve(std::size_t span) {
    if (span <= ring_.size()) return;
    std::vector<Entry> grown(std::bit_ceil(std::max<std::size_t>(span, 16)));
    for (std::size_t i = 0; i < span_; ++i) grown[i] = std::move(ring_[(head_ + i) & mask()]);
    ring_ = std::move(grown);
    head_ = 0;
  }

  std::vector<Entry> ring_;  // a power of two in size, or empty
  std::size_t head_ = 0;     // ring_ index of number base_
  std::uint64_t base_ = 0;   // the lowest covered number
  std::size_t span_ = 0;     // numbers base_ .. base_ + span_ - 1 are covered
  std::size_t size_ = 0;     // entries present
};

}  // namespace knhk::pbft
