// Applies a replica's PersistEffects to its simulated durable store (a std::map of string
// keys), with the positions of recent writes remembered.
//
// Replicas write keys in families ("pbft/log/<n>", "pbft/prepares/<n>", "smr/log/<n>", a few
// single keys) whose numbers are fixed-width, so a family's keys share one length. Within a
// family a replica appends in increasing order and erases oldest first. An insert therefore
// usually belongs right after the previous insert of its family and an erase at the entry
// after the previous erase: two key compares instead of a walk down the tree comparing
// strings with a long common prefix at every level (about 3% of a PBFT benchmark's cycles).
// A position that does not fit is ignored and the map is searched as before, so the result
// is always that of insert_or_assign / erase.
#pragma once

#include <array>
#include <cstddef>

#include "protocols/common/host.hpp"

namespace knhk::sim {

class StoreWriter {
 public:
  // Applies `e` to `store`, moving its key and value. Every write to `store` must go through
  // this writer (the remembered positions would otherwise dangle).
  void apply(DurableStore& store, PersistEffect& e);

 private:
  static constexpr std::size_t kFamilies = 8;  // hint slots, chosen by key length
  using Position = DurableStore::iterator;

  void bind(DurableStore& store);
  void insert(DurableStore& store, PersistEffect& e, std::size_t family);
  void erase(DurableStore& store, const std::string& key, std::size_t family);
  // Clears every remembered position that refers to `it` (about to be erased).
  void forget(Position it);

  DurableStore* store_ = nullptr;
  std::array<Position, kFamilies> last_insert_{};  // store_->end() when none
  std::array<Position, kFamilies> next_erase_{};   // the entry after the last erase
};

}  // namespace knhk::sim
