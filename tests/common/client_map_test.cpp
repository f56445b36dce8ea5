// ClientMap behaves as a std::map<ClientId, Value> for every sequence of lookups and
// inserts, whatever order clients arrive in, and iterates in increasing client id.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <map>

#include "protocols/common/client_map.hpp"

using namespace knhk;

TEST_CASE("ClientMap: find, insert on [] and ordered iteration") {
  ClientMap<int> m;
  REQUIRE(m.empty());
  REQUIRE(m.find(ClientId(3)) == nullptr);
  m[ClientId(5)] = 50;
  m[ClientId(1)] = 10;  // before the first entry
  m[ClientId(9)] = 90;  // after the last
  m[ClientId(7)] = 70;  // in between
  REQUIRE(m.size() == 4);
  REQUIRE(*m.find(ClientId(7)) == 70);
  REQUIRE(m.find(ClientId(6)) == nullptr);
  REQUIRE(m[ClientId(5)] == 50);  // present: no insert
  REQUIRE(m.size() == 4);
  std::vector<std::uint32_t> order;
  m.for_each([&](ClientId c, int v) {
    order.push_back(c.value);
    REQUIRE(v == static_cast<int>(c.value) * 10);
  });
  REQUIRE(order == std::vector<std::uint32_t>{1, 5, 7, 9});
  REQUIRE(m.key(2) == ClientId(7));
  m.clear();
  REQUIRE(m.empty());
  REQUIRE(m.find(ClientId(1)) == nullptr);
}

TEST_CASE("ClientMap agrees with std::map under any operations") {
  rc::prop("inserts, updates and lookups in any client order", [] {
    const auto ops = *rc::gen::container<std::vector<std::pair<std::uint32_t, std::uint32_t>>>(
        rc::gen::pair(rc::gen::inRange<std::uint32_t>(0, 40), rc::gen::arbitrary<std::uint32_t>()));
    ClientMap<std::uint32_t> m;  // unsigned: += wraps, never overflows
    std::map<ClientId, std::uint32_t> model;
    for (const auto& [client, value] : ops) {
      const ClientId c(client);
      if (value % 3 == 0) {  // a lookup
        const std::uint32_t* got = m.find(c);
        auto want = model.find(c);
        RC_ASSERT((got == nullptr) == (want == model.end()));
        if (got) RC_ASSERT(*got == want->second);
      } else {
        m[c] += value;
        model[c] += value;
      }
    }
    RC_ASSERT(m.size() == model.size());
    auto it = model.begin();
    m.for_each([&](ClientId c, std::uint32_t v) {
      RC_ASSERT(c == it->first);
      RC_ASSERT(v == it->second);
      ++it;
    });
  });
}
