// The latest vote (PREPARE or COMMIT) of each replica for one slot: at most n entries,
// kept sorted by replica in one small vector. A std::map here allocated a node per vote
// (2 × n per slot per replica) and was a visible share of the simulator's profile; the
// iteration order is the same (by replica id), so every certificate built from it is too.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

#include "protocols/common/types.hpp"

namespace knhk::pbft {

template <class Vote>
class VoteTable {
 public:
  using Entry = std::pair<NodeId, Vote>;
  using iterator = typename std::vector<Entry>::iterator;
  using const_iterator = typename std::vector<Entry>::const_iterator;

  iterator begin() { return votes_.begin(); }
  iterator end() { return votes_.end(); }
  const_iterator begin() const { return votes_.begin(); }
  const_iterator end() const { return votes_.end(); }
  std::size_t size() const { return votes_.size(); }
  std::size_t capacity() const { return votes_.capacity(); }
  void reserve(std::size_t n) { votes_.reserve(n); }
  void clear() { votes_.clear(); }  // keeps the capacity
  bool empty() const { return votes_.empty(); }

  iterator find(NodeId who) {
    auto it = lower_bound(who);
    return it != votes_.end() && it->first == who ? it : votes_.end();
  }
  const_iterator find(NodeId who) const {
    auto it = const_cast<VoteTable*>(this)->lower_bound(who);
    return it != votes_.end() && it->first == who ? const_iterator(it) : votes_.end();
  }
  // The vote of `who`, default-constructed first if it has none (as std::map::operator[]).
  Vote& operator[](NodeId who) {
    auto it = lower_bound(who);
    if (it == votes_.end() || it->first != who) it = votes_.emplace(it, who, Vote{});
    return it->second;
  }

 private:
  iterator lower_bound(NodeId who) {
    return std::lower_bound(votes_.begin(), votes_.end(), who,
                            [](const Entry& e, NodeId x) { return e.first < x; });
  }
  std::vector<Entry> votes_;
};

}  // namespace knhk::pbft
