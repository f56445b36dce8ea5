// Small builders shared by the smr tests.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>

#include "protocols/common/host.hpp"
#include "protocols/smr/bank.hpp"
#include "protocols/smr/kv.hpp"
#include "protocols/smr/state_machine.hpp"

inline knhk::Bytes smr_bank_transfer(std::uint32_t from, std::uint32_t to, std::uint64_t amount) {
  return knhk::smr::bank::encode_transfer(from, to, amount);
}

namespace knhk::smr::testing {

inline Bytes val(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

inline Request request(std::uint32_t client, std::uint64_t id, Bytes op) {
  return Request{ClientId(client), RequestId(id), std::move(op), {}, {}};
}
inline Request put_req(std::uint32_t client, std::uint64_t id, std::uint32_t key,
                       const std::string& v) {
  return request(client, id, kv::encode_put(kv::Key::index(key), val(v)));
}
inline Request cas_req(std::uint32_t client, std::uint64_t id, std::uint32_t key,
                       std::optional<std::string> expected, const std::string& v) {
  std::optional<Bytes> e;
  if (expected) e = val(*expected);
  return request(client, id, kv::encode_cas(kv::Key::index(key), e, val(v)));
}
inline std::shared_ptr<const Batch> make_batch(std::initializer_list<Request> rs) {
  return std::make_shared<const Batch>(rs);
}

// Executes the durable writes among `effects` against `store`, as a host would;
// `limit` stops after that many effects (a crash in the middle of a step).
inline void apply_effects(const Effects& effects, DurableStore& store,
                          std::size_t limit = SIZE_MAX) {
  for (std::size_t i = 0; i < effects.list.size() && i < limit; ++i) {
    auto* p = std::get_if<PersistEffect>(&effects.list[i]);
    if (!p) continue;
    if (p->erase)
      store.erase(p->key);
    else
      store[p->key] = p->value;
  }
}

}  // namespace knhk::smr::testing
