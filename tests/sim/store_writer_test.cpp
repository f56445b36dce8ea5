// StoreWriter leaves a durable store exactly as insert_or_assign / erase would, whatever
// order keys arrive in: its remembered positions only save searches.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <tuple>

#include "sim/store_writer.hpp"

using namespace knhk;
using namespace knhk::sim;

namespace {

// Keys of the kinds replicas write: numbered families (one length each) and single keys.
std::string key_of(std::uint32_t family, std::uint64_t n) {
  switch (family % 5) {
    case 0:
      return numbered_key("pbft/log/", n);
    case 1:
      return numbered_key("pbft/prepares/", n);
    case 2:
      return numbered_key("smr/log/", n);
    case 3:
      return "smr/snapshot";
    default:
      return "pbft/view";
  }
}

void reference_apply(DurableStore& store, const PersistEffect& e) {
  if (e.erase)
    store.erase(e.key);
  else
    store.insert_or_assign(e.key, e.value);
}

}  // namespace

TEST_CASE("StoreWriter: appends, overwrites and oldest-first erases") {
  DurableStore store, reference;
  StoreWriter writer;
  auto write = [&](std::string key, std::uint8_t v, bool erase = false) {
    PersistEffect e{std::move(key), Bytes{v}, erase};
    reference_apply(reference, e);
    writer.apply(store, e);
    REQUIRE(store == reference);
  };
  for (std::uint64_t n = 1; n <= 20; ++n) {
    write(key_of(0, n), 1);
    write(key_of(1, n), 2);
    write(key_of(2, n), 3);
  }
  write("smr/snapshot", 4);
  write("smr/snapshot", 5);  // an overwrite keeps one entry with the new value
  REQUIRE(store.at("smr/snapshot") == Bytes{5});
  write(key_of(0, 7), 9);  // an overwrite in the middle of a family
  REQUIRE(store.at(key_of(0, 7)) == Bytes{9});
  for (std::uint64_t n = 1; n <= 10; ++n) {
    write(key_of(0, n), 0, true);
    write(key_of(1, n), 0, true);
  }
  write(key_of(2, 3), 0, true);  // out of order
  write(key_of(2, 1), 0, true);
  write(key_of(2, 99), 0, true);  // absent: nothing happens
  write(key_of(0, 5), 6);         // re-inserted behind the erased ones
  REQUIRE(store.size() == reference.size());
}

TEST_CASE("StoreWriter agrees with insert_or_assign/erase under any writes") {
  rc::prop("random families, numbers, overwrites and erases", [] {
    const auto ops =
        *rc::gen::container<std::vector<std::tuple<std::uint32_t, std::uint8_t, bool>>>(
            rc::gen::tuple(rc::gen::inRange<std::uint32_t>(0, 5),
                           rc::gen::inRange<std::uint8_t>(0, 24), rc::gen::arbitrary<bool>()));
    DurableStore store, reference;
    StoreWriter writer;
    std::uint8_t value = 0;
    for (const auto& [family, n, erase] : ops) {
      PersistEffect e{key_of(family, n), Bytes{value++}, erase};
      reference_apply(reference, e);
      writer.apply(store, e);
      RC_ASSERT(store == reference);
    }
  });
}

TEST_CASE("StoreWriter follows a store it is handed anew") {
  DurableStore a, b;
  StoreWriter writer;
  PersistEffect e1{numbered_key("smr/log/", 1), Bytes{1}, false};
  writer.apply(a, e1);
  PersistEffect e2{numbered_key("smr/log/", 2), Bytes{2}, false};
  writer.apply(b, e2);  // positions in `a` must not be used for `b`
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  REQUIRE(b.count(numbered_key("smr/log/", 2)) == 1);
}
