#include "sim/workload.hpp"

#include "protocols/common/codec.hpp"

namespace knhk::sim {

// Encodings follow protocols/smr/kv.hpp and protocols/smr/bank.hpp byte for byte
// (written out here so that the simulator does not depend on the application's
// internals; tests/sim check that the application decodes what is generated).
namespace {

Bytes unique_value(Rng& rng) {
  // 8 random bytes: writes are distinguishable, which the linearizability checker needs.
  Writer w;
  w.u64(rng.next_u64());
  return w.take();
}

void put_index_key(Writer& w, std::uint32_t index) {
  w.u8(0);  // integer key
  w.u32(index);
}

Bytes kv_operation(std::uint32_t keys, Rng& rng) {
  const std::uint32_t key = static_cast<std::uint32_t>(rng.below(keys == 0 ? 1 : keys));
  const std::uint64_t pick = rng.below(100);
  Writer w;
  if (pick < 50) {  // put
    w.u8(1);
    put_index_key(w, key);
    w.bytes(unique_value(rng));
  } else if (pick < 90) {  // get
    w.u8(2);
    put_index_key(w, key);
  } else {  // cas expecting absence: succeeds only on a fresh key
    w.u8(3);
    put_index_key(w, key);
    w.boolean(false);
    w.bytes(unique_value(rng));
  }
  return w.take();
}

Bytes bank_operation(std::uint32_t accounts, Rng& rng) {
  const std::uint32_t n = accounts == 0 ? 1 : accounts;
  const auto a = static_cast<std::uint32_t>(rng.below(n));
  const auto b = static_cast<std::uint32_t>(rng.below(n));
  const std::uint64_t pick = rng.below(100);
  Writer w;
  if (pick < 60) {  // transfer(from, to, amount)
    w.u8(1);
    w.u32(a);
    w.u32(b);
    w.u64(1 + rng.below(100));
  } else if (pick < 90) {  // balance(account)
    w.u8(2);
    w.u32(a);
  } else {  // approve(owner, spender, amount)
    w.u8(3);
    w.u32(a);
    w.u32(b);
    w.u64(rng.below(100));
  }
  return w.take();
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
