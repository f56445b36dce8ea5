// A map from client to a value, kept as two sorted vectors: the client ids alone,
// contiguous, and the values beside them, index for index. Iteration is in increasing
// client id, as a std::map's.
//
// Why not std::map: every replica looks the client of each request up in several tables
// (pending requests, requests in accepted pre-prepares, the state machine's client table),
// for every request it receives or executes. In a std::map each lookup walks a dozen tree
// nodes scattered over the heap, and with hundreds of clients at seven simulated replicas
// most of those steps missed the cache. Here a lookup is a binary search over 4-byte ids
// (a few cache lines that stay warm) and one access to the value. Inserting a new client
// shifts the entries after it, which is rare: clients come once and stay.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "protocols/common/types.hpp"

namespace knhk {

template <class Value>
class ClientMap {
 public:
  std::size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  void clear() {
    ids_.clear();
    values_.clear();
  }

  const Value* find(ClientId c) const {
    const std::size_t i = lower_bound(c);
    return i < ids_.size() && ids_[i] == c ? &values_[i] : nullptr;
  }
  Value* find(ClientId c) { return const_cast<Value*>(std::as_const(*this).find(c)); }

  // The value of `c`, default-constructed and inserted if absent. Inserting invalidates
  // pointers and references to other values.
  Value& operator[](ClientId c) {
    const std::size_t i = lower_bound(c);
    if (i < ids_.size() && ids_[i] == c) return values_[i];
    const auto at = static_cast<std::ptrdiff_t>(i);
    ids_.insert(ids_.begin() + at, c);
    return *values_.emplace(values_.begin() + at);
  }

  // Entries by index, in increasing client id.
  ClientId key(std::size_t i) const { return ids_[i]; }
  Value& value(std::size_t i) { return values_[i]; }
  const Value& value(std::size_t i) const { return values_[i]; }

  // Calls f(client, value) for every entry, in increasing client id.
  template <class F>
  void for_each(F f) {
    for (std::size_t i = 0; i < ids_.size(); ++i) f(ids_[i], values_[i]);
  }
  template <class F>
  void for_each(F f) const {
    for (std::size_t i = 0; i < ids_.size(); ++i) f(ids_[i], values_[i]);
  }

 private:
  std::size_t lower_bound(ClientId c) const {
    // Ids usually arrive at the end of the table (new clients count up): check it first.
    if (ids_.empty() || ids_.back() < c) return ids_.size();
    return static_cast<std::size_t>(std::lower_bound(ids_.begin(), ids_.end(), c) - ids_.begin());
  }

  std::vector<ClientId> ids_;
  std::vector<Value> values_;
};

}  // namespace knhk
