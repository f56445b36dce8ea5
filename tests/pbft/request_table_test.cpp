// RequestTable (pending and in-flight requests of a PBFT replica) through its public
// interface only: lookups, insert keeping the first value, the erasures, and iteration in
// (client, id) order, checked case by case and against a std::map model.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <map>
#include <utility>
#include <vector>

#include "protocols/pbft/request_table.hpp"

using namespace knhk;
using namespace knhk::pbft;

namespace {

using Table = RequestTable<int>;
using Model = std::map<RequestKey, int>;
using Visit = std::pair<RequestKey, int>;

RequestKey key(std::uint32_t client, std::uint64_t id) {
  return RequestKey{ClientId(client), RequestId(id)};
}

std::vector<Visit> visits(Table& t) {
  std::vector<Visit> out;
  t.for_each([&](RequestKey k, int& v) {
    out.emplace_back(k, v);
    return true;
  });
  return out;
}

std::vector<Visit> visits(const Model& m) {
  return std::vector<Visit>(m.begin(), m.end());
}

// The first `limit` visits, with f returning false at the last of them.
std::vector<Visit> first_visits(Table& t, std::size_t limit) {
  std::vector<Visit> out;
  t.for_each([&](RequestKey k, int& v) {
    out.emplace_back(k, v);
    return out.size() < limit;
  });
  return out;
}

}  // namespace

TEST_CASE("request table: an empty table finds nothing and visits nothing") {
  Table t;
  CHECK(t.empty());
  CHECK(t.size() == 0u);
  CHECK_FALSE(t.contains(key(1, 1)));
  CHECK(t.find(key(1, 1)) == nullptr);
  CHECK_FALSE(t.erase(key(1, 1)));
  CHECK(visits(t).empty());
  int calls = 0;
  t.erase_leading(
      ClientId(1),
      [&](RequestId) {
        ++calls;
        return true;
      },
      [&](RequestKey) {});
  CHECK(calls == 0);
}

TEST_CASE("request table: insert adds a key once and a duplicate keeps the first value") {
  Table t;
  CHECK(t.insert(key(1, 5), 10));
  CHECK(t.insert(key(1, 6), 11));
  CHECK(t.insert(key(2, 5), 12));
  CHECK(t.size() == 3u);
  CHECK_FALSE(t.empty());
  CHECK_FALSE(t.insert(key(1, 5), 99));
  CHECK(t.size() == 3u);
  REQUIRE(t.find(key(1, 5)) != nullptr);
  CHECK(*t.find(key(1, 5)) == 10);
  CHECK(*t.find(key(2, 5)) == 12);
  CHECK(t.contains(key(1, 6)));
  CHECK_FALSE(t.contains(key(1, 7)));  // known client, unknown id
  CHECK_FALSE(t.contains(key(3, 5)));  // unknown client
  *t.find(key(1, 6)) = 21;             // find gives the stored value, writable
  CHECK(*std::as_const(t).find(key(1, 6)) == 21);
}

TEST_CASE("request table: try_emplace inserts a default value once and finds it after") {
  Table t;
  t.insert(key(1, 5), 10);
  auto [fresh, inserted] = t.try_emplace(key(1, 3));  // below an existing id of the client
  CHECK(inserted);
  REQUIRE(fresh != nullptr);
  CHECK(*fresh == 0);
  *fresh = 7;
  CHECK(t.size() == 2u);
  auto [again, inserted_again] = t.try_emplace(key(1, 3));
  CHECK_FALSE(inserted_again);
  CHECK(*again == 7);  // the stored value, not a new default
  auto [old, inserted_old] = t.try_emplace(key(1, 5));
  CHECK_FALSE(inserted_old);
  CHECK(*old == 10);
  CHECK(t.try_emplace(key(4, 1)).second);  // a new client
  CHECK(t.size() == 3u);
  CHECK(visits(t) == std::vector<Visit>{{key(1, 3), 7}, {key(1, 5), 10}, {key(4, 1), 0}});
}

TEST_CASE("request table: erase_and_leading erases the key, then the client's done ids") {
  Table t;
  for (std::uint64_t id : {1, 2, 4, 6, 7}) t.insert(key(1, id), static_cast<int>(id));
  t.insert(key(2, 1), 0);
  std::vector<RequestKey> erased;
  auto record = [&](RequestKey k) { erased.push_back(k); };
  std::vector<RequestId> asked;
  auto below_5 = [&](RequestId id) {
    asked.push_back(id);
    return id.value < 5;
  };
  // Key 4 goes whatever done says; then 1 and 2 lead and are done; 6 is not.
  t.erase_and_leading(key(1, 4), below_5, record);
  CHECK(erased == std::vector<RequestKey>{key(1, 1), key(1, 2)});  // the key itself not reported
  CHECK(asked == std::vector<RequestId>{RequestId(1), RequestId(2), RequestId(6)});
  CHECK(t.size() == 3u);
  CHECK(visits(t) == std::vector<Visit>{{key(1, 6), 6}, {key(1, 7), 7}, {key(2, 1), 0}});

  SECTION("an absent key still lets the leading ids go") {
    erased.clear();
    t.erase_and_leading(
        key(1, 3), [](RequestId id) { return id.value < 7; }, record);
    CHECK(erased == std::vector<RequestKey>{key(1, 6)});
    CHECK(t.size() == 2u);
  }
  SECTION("a client left empty never asks done") {
    asked.clear();
    t.erase_and_leading(key(2, 1), below_5, record);
    CHECK(asked.empty());
    CHECK(t.size() == 2u);
    CHECK_FALSE(t.contains(key(2, 1)));
  }
  SECTION("an unknown client erases nothing") {
    erased.clear();
    t.erase_and_leading(
        key(9, 1), [](RequestId) { return true; }, record);
    CHECK(erased.empty());
    CHECK(t.size() == 3u);
  }
}

TEST_CASE("request table: lookups stay right when clients shift and share a lookup hint") {
  Table t;
  // Each lookup leaves a hint of the client's position; inserting a lower client shifts
  // the others, and clients 1, 257 and 513 share a hint: every answer must still be exact.
  t.insert(key(513, 1), 513);
  CHECK(*t.find(key(513, 1)) == 513);
  t.insert(key(257, 1), 257);  // 513 moves one place up
  CHECK(*t.find(key(513, 1)) == 513);
  CHECK(*t.find(key(257, 1)) == 257);
  t.insert(key(1, 1), 1);  // both move again; 1's hint replaces theirs
  for (std::uint32_t c : {1u, 257u, 513u, 257u, 1u, 513u}) {
    REQUIRE(t.find(key(c, 1)) != nullptr);
    CHECK(*t.find(key(c, 1)) == static_cast<int>(c));
  }
  CHECK(t.find(key(769, 1)) == nullptr);  // same hint, absent client
  CHECK(t.try_emplace(key(257, 2)).second);
  CHECK(t.erase(key(513, 1)));
  CHECK_FALSE(t.contains(key(513, 1)));
  CHECK(visits(t) == std::vector<Visit>{{key(1, 1), 1}, {key(257, 1), 257}, {key(257, 2), 0}});
}

TEST_CASE("request table: for_each visits in (client, id) order whatever the insertion order") {
  Table t;
  // Ids out of order within a client; clients out of order, 10 after 2 numerically.
  for (auto [c, i] : std::vector<std::pair<std::uint32_t, std::uint64_t>>{
           {10, 1}, {2, 7}, {1, 3}, {2, 1}, {1, 1}, {1, 2}, {10, 0}, {2, 4}})
    t.insert(key(c, i), static_cast<int>(100 * c + i));
  std::vector<RequestKey> order;
  for (const auto& [k, v] : visits(t)) {
    order.push_back(k);
    CHECK(v == static_cast<int>(100 * k.client.value + k.id.value));
  }
  CHECK(order == std::vector<RequestKey>{key(1, 1), key(1, 2), key(1, 3), key(2, 1), key(2, 4),
                                         key(2, 7), key(10, 0), key(10, 1)});
}

TEST_CASE("request table: for_each stops as soon as f returns false") {
  Table t;
  t.insert(key(1, 1), 1);
  t.insert(key(1, 2), 2);
  t.insert(key(2, 1), 3);
  // Stopping inside client 1 must not go on to client 2.
  CHECK(first_visits(t, 1) == std::vector<Visit>{{key(1, 1), 1}});
  CHECK(first_visits(t, 2) == std::vector<Visit>{{key(1, 1), 1}, {key(1, 2), 2}});
  CHECK(first_visits(t, 3).size() == 3u);
}

TEST_CASE("request table: for_each hands out the stored values to change") {
  Table t;
  t.insert(key(1, 1), 1);
  t.insert(key(2, 2), 2);
  t.for_each([](RequestKey, int& v) {
    v *= 10;
    return true;
  });
  CHECK(*t.find(key(1, 1)) == 10);
  CHECK(*t.find(key(2, 2)) == 20);
}

TEST_CASE("request table: erase removes exactly one key") {
  Table t;
  t.insert(key(1, 1), 1);
  t.insert(key(1, 2), 2);
  t.insert(key(2, 1), 3);
  CHECK_FALSE(t.erase(key(1, 3)));
  CHECK_FALSE(t.erase(key(3, 1)));
  CHECK(t.size() == 3u);
  CHECK(t.erase(key(1, 1)));
  CHECK_FALSE(t.erase(key(1, 1)));
  CHECK(t.size() == 2u);
  CHECK(visits(t) == std::vector<Visit>{{key(1, 2), 2}, {key(2, 1), 3}});
  CHECK(t.erase(key(1, 2)));
  CHECK(t.erase(key(2, 1)));
  CHECK(t.empty());
  CHECK(t.insert(key(1, 1), 4));  // a client emptied by erasures takes requests again
  CHECK(*t.find(key(1, 1)) == 4);
}

TEST_CASE("request table: erase_leading erases one client's lowest ids while done holds") {
  Table t;
  for (std::uint64_t id : {8, 1, 5, 3, 2}) t.insert(key(1, id), static_cast<int>(id));
  t.insert(key(0, 1), 0);
  t.insert(key(2, 1), 0);
  std::vector<RequestKey> erased;
  auto record = [&](RequestKey k) { erased.push_back(k); };

  t.erase_leading(
      ClientId(1), [](RequestId id) { return id.value <= 4; }, record);
  CHECK(erased == std::vector<RequestKey>{key(1, 1), key(1, 2), key(1, 3)});
  CHECK(t.size() == 4u);
  CHECK(visits(t) ==
        std::vector<Visit>{{key(0, 1), 0}, {key(1, 5), 5}, {key(1, 8), 8}, {key(2, 1), 0}});

  SECTION("it stops at the first id for which done fails, even if later ids pass") {
    erased.clear();
    t.erase_leading(
        ClientId(1), [](RequestId id) { return id.value != 5; }, record);
    CHECK(erased.empty());
    CHECK(t.size() == 4u);
  }
  SECTION("done holding for every id empties the client and only it") {
    erased.clear();
    t.erase_leading(
        ClientId(1), [](RequestId) { return true; }, record);
    CHECK(erased == std::vector<RequestKey>{key(1, 5), key(1, 8)});
    CHECK(visits(t) == std::vector<Visit>{{key(0, 1), 0}, {key(2, 1), 0}});
    CHECK(t.size() == 2u);
  }
  SECTION("an unknown client erases nothing") {
    erased.clear();
    t.erase_leading(
        ClientId(7), [](RequestId) { return true; }, record);
    CHECK(erased.empty());
    CHECK(t.size() == 4u);
  }
}

TEST_CASE("request table: erase_if erases every request the predicate picks, by key or value") {
  Table t;
  for (std::uint32_t c = 1; c <= 3; ++c)
    for (std::uint64_t id = 1; id <= 4; ++id) t.insert(key(c, id), static_cast<int>(c * id));
  // Client 1 keeps only id 1: its id 3 has value 3; client 3 loses id 1 the same way.
  t.erase_if([](RequestKey k, const int& v) { return k.id.value % 2 == 0 || v == 3; });
  CHECK(t.size() == 4u);
  CHECK(visits(t) ==
        std::vector<Visit>{{key(1, 1), 1}, {key(2, 1), 2}, {key(2, 3), 6}, {key(3, 3), 9}});
  t.erase_if([](RequestKey, const int&) { return false; });
  CHECK(t.size() == 4u);
  t.erase_if([](RequestKey, const int&) { return true; });
  CHECK(t.empty());
  CHECK(visits(t).empty());
}

TEST_CASE("request table: clear empties it and it fills again") {
  Table t;
  t.insert(key(1, 1), 1);
  t.insert(key(2, 1), 2);
  t.clear();
  CHECK(t.empty());
  CHECK(t.size() == 0u);
  CHECK_FALSE(t.contains(key(1, 1)));
  CHECK(visits(t).empty());
  CHECK(t.insert(key(2, 1), 3));  // not a duplicate any more
  CHECK(*t.find(key(2, 1)) == 3);
  CHECK(t.size() == 1u);
}

namespace {

// ids 0..3, one far away (1000), and 256 and 769, which share a lookup hint with 0 and 1
constexpr std::uint32_t kClients = 4;
constexpr std::uint64_t kIds = 8;

rc::Gen<RequestKey> small_key() {
  return rc::gen::apply([](std::uint32_t c, std::uint64_t id) { return key(c, id); },
                        rc::gen::element<std::uint32_t>(0, 1, 2, 3, 1000, 256, 769),
                        rc::gen::inRange<std::uint64_t>(0, kIds));
}

// What erase_leading should do, on the model: from the client's lowest id up while done.
template <class Done>
std::vector<RequestKey> model_erase_leading(Model& m, ClientId client, Done done) {
  std::vector<RequestKey> erased;
  auto it = m.lower_bound(RequestKey{client, RequestId(0)});
  while (it != m.end() && it->first.client == client && done(it->first.id)) {
    erased.push_back(it->first);
    it = m.erase(it);
  }
  return erased;
}

void check_same(Table& t, const Model& m) {
  RC_ASSERT(t.size() == m.size());
  RC_ASSERT(t.empty() == m.empty());
  RC_ASSERT(visits(t) == visits(m));
  for (std::uint32_t c : {0u, 1u, 2u, 3u, 1000u, 256u, 769u, 5u, 512u})
    for (std::uint64_t id = 0; id <= kIds; ++id) {
      const auto found = m.find(key(c, id));
      const int* got = std::as_const(t).find(key(c, id));
      RC_ASSERT((got != nullptr) == (found != m.end()));
      if (got) RC_ASSERT(*got == found->second);
      RC_ASSERT(t.contains(key(c, id)) == (found != m.end()));
    }
}

// One random operation applied to both; returns nothing, asserts what each call reports.
void step(Table& t, Model& m) {
  switch (*rc::gen::inRange(0, 8)) {
    case 0:
    case 1: {  // inserts twice as often as each erasure, so the table fills up
      const RequestKey k = *small_key();
      const int v = *rc::gen::inRange(0, 1000);
      RC_ASSERT(t.insert(k, v) == m.emplace(k, v).second);
      break;
    }
    case 2: {
      const RequestKey k = *small_key();
      RC_ASSERT(t.erase(k) == (m.erase(k) == 1));
      break;
    }
    case 3: {  // done by threshold, or by a modulus so that it can fail and hold again
      const RequestKey k = *small_key();
      const std::uint64_t mod = *rc::gen::inRange<std::uint64_t>(2, 4);
      const bool by_threshold = *rc::gen::arbitrary<bool>();
      auto done = [&](RequestId id) {
        return by_threshold ? id.value < k.id.value : id.value % mod != 0;
      };
      std::vector<RequestKey> erased;
      t.erase_leading(k.client, done, [&](RequestKey e) { erased.push_back(e); });
      RC_ASSERT(erased == model_erase_leading(m, k.client, done));
      break;
    }
    case 4: {
      const int mod = *rc::gen::inRange(2, 5);
      const std::uint64_t id_mod = *rc::gen::inRange<std::uint64_t>(2, 5);
      auto remove = [&](RequestKey k, const int& v) {
        return v % mod == 0 || k.id.value % id_mod == 1;
      };
      t.erase_if(remove);
      std::erase_if(m, [&](const auto& e) { return remove(e.first, e.second); });
      break;
    }
    case 6: {  // try_emplace: a default value when new, the stored one when not
      const RequestKey k = *small_key();
      auto [value, inserted] = t.try_emplace(k);
      auto [it, model_inserted] = m.try_emplace(k, 0);
      RC_ASSERT(inserted == model_inserted);
      RC_ASSERT(*value == it->second);
      *value = it->second = *rc::gen::inRange(0, 1000);
      break;
    }
    case 7: {  // erase_and_leading: erase, then erase_leading of the same client
      const RequestKey k = *small_key();
      const std::uint64_t below = *rc::gen::inRange<std::uint64_t>(0, kIds + 1);
      auto done = [&](RequestId id) { return id.value < below; };
      std::vector<RequestKey> erased;
      t.erase_and_leading(k, done, [&](RequestKey e) { erased.push_back(e); });
      m.erase(k);
      RC_ASSERT(erased == model_erase_leading(m, k.client, done));
      break;
    }
    default: {  // an early stop of for_each sees the model's first visits
      const std::size_t limit = *rc::gen::inRange<std::size_t>(1, 6);
      const auto all = visits(m);
      const auto want = std::vector<Visit>(all.begin(), all.begin() + std::min(limit, all.size()));
      RC_ASSERT(first_visits(t, limit) == want);
    }
  }
}

}  // namespace

TEST_CASE("request table: random operations behave like a std::map keyed by (client, id)") {
  rc::prop("same size, order, lookups and erasures as the model after every step", [] {
    Table t;
    Model m;
    const std::size_t steps = *rc::gen::inRange<std::size_t>(1, 80);
    for (std::size_t i = 0; i < steps; ++i) {
      step(t, m);
      check_same(t, m);
    }
    t.clear();
    m.clear();
    check_same(t, m);
  });
}
