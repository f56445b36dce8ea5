#include "sim/workload.hpp"

#include "protocols/common/codec.hpp"
#include "protocols/smr/bank.hpp"
#include "protocols/smr/kv.hpp"

namespace knhk::sim {
namespace {

Bytes unique_value(Rng& rng) {
  // 8 random bytes: writes are distinguishable, which the linearizability checker needs.
  StackWriter<8> w;  // exact size (a heap Writer keeps 128 bytes' room)
  w.u64(rng.next_u64());
  return w.take();
}

// 50% put of a fresh value, 40% get, 10% insert-if-absent cas.
Bytes kv_operation(std::uint32_t keys, Rng& rng) {
  const auto key = smr::kv::Key::index(static_cast<std::uint32_t>(rng.below(keys == 0 ? 1 : keys)));
  const std::uint64_t pick = rng.below(100);
  if (pick < 50) return smr::kv::encode_put(key, unique_value(rng));
  if (pick < 90) return smr::kv::encode_get(key);
  return smr::kv::encode_cas(key, std::nullopt, unique_value(rng));
}

// 60% transfer of 1..100, 30% balance, 10% approve of 0..99.
Bytes bank_operation(std::uint32_t accounts, Rng& rng) {
  const std::uint32_t n = accounts == 0 ? 1 : accounts;
  const auto a = static_cast<std::uint32_t>(rng.below(n));
  const auto b = static_cast<std::uint32_t>(rng.below(n));
  const std::uint64_t pick = rng.below(100);
  if (pick < 60) return smr::bank::encode_transfer(a, b, 1 + rng.below(100));
  if (pick < 90) return smr::bank::encode_balance(a);
  return smr::bank::encode_approve(a, b, rng.below(100));
}

}  // namespace

Bytes make_operation(AppKind app, std::uint32_t keys, Rng& rng) {
  switch (app) {
    case AppKind::kv:
      return kv_operation(keys, rng);
    case AppKind::bank:
      return bank_operation(keys, rng);
    case AppKind::noop:
      return unique_value(rng);
  }
  return unique_value(rng);
}

}  // namespace knhk::sim
