// A set of client requests keyed by (client, request id), with a value per request,
// iterated in (client, id) order. Every replica inserts and erases each request it sees
// (pending requests, requests in accepted pre-prepares); as std::map/std::set keyed by
// (client, id) that was a node allocation and a ten-level tree walk per request per
// replica. Here each client has a small vector sorted by id (a client has few requests
// outstanding; new ids arrive in order, so inserts append and executions erase the front),
// found through a ClientMap of clients whose entries are kept (and their capacity reused).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "protocols/common/client_map.hpp"
#include "protocols/common/types.hpp"

namespace knhk::pbft {

struct RequestKey {
  ClientId client;
  RequestId id;
  auto operator<=>(const RequestKey&) const = default;
};

template <class Value>
class RequestTable {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool contains(RequestKey key) const { return find(key) != nullptr; }

  const Value* find(RequestKey key) const {
    const Entries* entries = lookup(key.client);
    if (!entries) return nullptr;
    auto it = position(*entries, key.id);
    return it != entries->end() && it->first == key.id ? &it->second : nullptr;
  }
  Value* find(RequestKey key) { return const_cast<Value*>(std::as_const(*this).find(key)); }
  // Inserts unless present; returns whether it did.
  bool insert(RequestKey key, Value value) {
    auto& entries = lookup_or_insert(key.client);
    auto it = position(entries, key.id);
    if (it != entries.end() && it->first == key.id) return false;
    entries.emplace(it, key.id, std::move(value));
    ++size_;
    return true;
  }
  // The value of `key`, default-constructed and inserted if absent, and whether it was
  // inserted: one client lookup where contains() then insert() took two.
  std::pair<Value*, bool> try_emplace(RequestKey key) {
    auto& entries = lookup_or_insert(key.client);
    auto it = position(entries, key.id);
    if (it != entries.end() && it->first == key.id) return {&it->second, false};
    it = entries.emplace(it, key.id, Value{});
    ++size_;
    return {&it->second, true};
  }
  bool erase(RequestKey key) {
    Entries* entries = lookup(key.client);
    if (!entries) return false;
    auto it = position(*entries, key.id);
    if (it == entries->end() || it->first != key.id) return false;
    entries->erase(it);
    --size_;
    return true;
  }
  // Erases `client`'s requests from the lowest id up while `done(id)` holds; calls
  // `erased(key)` for each.
  template <class Done, class Erased>
  void erase_leading(ClientId client, Done done, Erased erased) {
    if (Entries* found = lookup(client)) erase_leading_of(client, *found, done, erased);
  }
  // erase(key), then erase_leading(key.client, done, erased), with one client lookup.
  template <class Done, class Erased>
  void erase_and_leading(RequestKey key, Done done, Erased erased) {
    Entries* found = lookup(key.client);
    if (!found) return;
    Entries& entries = *found;
    if (auto it = position(entries, key.id); it != entries.end() && it->first == key.id) {
      entries.erase(it);
      --size_;
    }
    erase_leading_of(key.client, entries, done, erased);
  }
  // Erases every request for which `remove(key, value)` holds.
  template <class Remove>
  void erase_if(Remove remove) {
    clients_.for_each([&](ClientId client, Entries& entries) {
      auto kept = std::remove_if(entries.begin(), entries.end(), [&](const auto& e) {
        return remove(RequestKey{client, e.first}, e.second);
      });
      size_ -= static_cast<std::size_t>(entries.end() - kept);
      entries.erase(kept, entries.end());
    });
  }
  // Calls f(key, value) in (client, id) order until it returns false.
  template <class F>
  void for_each(F f) {
    for (std::size_t i = 0; i < clients_.size(); ++i)
      for (auto& [id, value] : clients_.value(i))
        if (!f(RequestKey{clients_.key(i), id}, value)) return;
  }
  void clear() {
    clients_.for_each([](ClientId, Entries& entries) { entries.clear(); });
    size_ = 0;
  }

 private:
  using Entries = std::vector<std::pair<RequestId, Value>>;
  template <class Done, class Erased>
  void erase_leading_of(ClientId client, Entries& entries, Done& done, Erased& erased) {
    auto end = entries.begin();
    while (end != entries.end() && done(end->first)) erased(RequestKey{client, (end++)->first});
    size_ -= static_cast<std::size_t>(end - entries.begin());
    entries.erase(entries.begin(), end);
  }
  template <class E>
  static auto position(E& entries, RequestId id) {
    if (entries.empty() || entries.back().first < id) return entries.end();  // the usual case
    return std::lower_bound(entries.begin(), entries.end(), id,
                            [](const auto& e, RequestId x) { return e.first < x; });
  }
  // The client's entries, found through a hint of its index in clients_ (checked before
  // use, refreshed after a miss): every replica looks up the client of each request it
  // receives, proposes, accepts and executes in these tables, and a binary search over
  // hundreds of client ids was most of what each lookup cost. The result is the same
  // either way; a stale hint (another client inserted before it) only costs the search.
  const Entries* lookup(ClientId c) const {
    std::uint32_t& hint = hints_[c.value % kHints];
    if (hint < clients_.size() && clients_.key(hint) == c) return &clients_.value(hint);
    const Entries* found = clients_.find(c);
    if (found) hint = index_of(found);
    return found;
  }
  Entries* lookup(ClientId c) { return const_cast<Entries*>(std::as_const(*this).lookup(c)); }
  Entries& lookup_or_insert(ClientId c) {
    if (Entries* found = lookup(c)) return *found;
    Entries& inserted = clients_[c];
    hints_[c.value % kHints] = index_of(&inserted);
    return inserted;
  }
  std::uint32_t index_of(const Entries* entries) const {
    return static_cast<std::uint32_t>(entries - &clients_.value(0));
  }

  static constexpr std::size_t kHints = 256;
  ClientMap<Entries> clients_;
  mutable std::array<std::uint32_t, kHints> hints_ = filled_hints();
  static constexpr std::array<std::uint32_t, kHints> filled_hints() {
    std::array<std::uint32_t, kHints> a{};
    a.fill(UINT32_MAX);  // no hint: never below clients_.size()
    return a;
  }
  std::size_t size_ = 0;
};

}  // namespace knhk::pbft
