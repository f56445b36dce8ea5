#include "sim/store_writer.hpp"

namespace knhk::sim {

void StoreWriter::bind(DurableStore& store) {
  store_ = &store;
  last_insert_.fill(store.end());
  next_erase_.fill(store.end());
}

void StoreWriter::apply(DurableStore& store, PersistEffect& e) {
  if (store_ != &store) bind(store);
  const std::size_t family = e.key.size() % kFamilies;
  if (e.erase)
    erase(store, e.key, family);
  else
    insert(store, e, family);
}

// The new key belongs right after the family's last insert when it sorts between that entry
// and its successor; emplace_hint() then costs no search.
void StoreWriter::insert(DurableStore& store, PersistEffect& e, std::size_t family) {
  Position& hint = last_insert_[family];
  if (hint != store.end()) {
    if (hint->first == e.key) {
      hint->second = std::move(e.value);
      return;
    }
    if (hint->first < e.key) {
      const Position next = std::next(hint);
      if (next == store.end() || e.key < next->first) {
        hint = store.emplace_hint(next, std::move(e.key), std::move(e.value));
        return;
      }
    }
  }
  hint = store.insert_or_assign(std::move(e.key), std::move(e.value)).first;
}

void StoreWriter::erase(DurableStore& store, const std::string& key, std::size_t family) {
  Position& next = next_erase_[family];
  Position it = next != store.end() && next->first == key ? next : store.find(key);
  if (it == store.end()) return;
  forget(it);
  next = store.erase(it);
}

void StoreWriter::forget(Position it) {
  for (Position& p : last_insert_)
    if (p == it) p = store_->end();
  for (Position& p : next_erase_)
    if (p == it) p = store_->end();
}

}  // namespace knhk::sim
