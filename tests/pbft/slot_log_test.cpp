// SlotLog (the PBFT message log's ring) through its public interface: creation in any
// order (also below the lowest number and far above it, which grows the ring), lookups,
// erasure through a number and by predicate, iteration in sequence order, and entries
// reused after erasure starting from a cleared value; checked case by case and against a
// std::map model (what the log was before).
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <map>
#include <utility>
#include <vector>

#include "protocols/pbft/replica.hpp"
#include "protocols/pbft/slot_log.hpp"

using namespace knhk;
using namespace knhk::pbft;

namespace {

// A value that records whether clear() ran and keeps a buffer's capacity through it, as
// Slot keeps its vote tables'.
struct Value {
  int n = 0;
  std::vector<int> buffer;
  void clear() {
    n = 0;
    buffer.clear();
  }
};

using Log = SlotLog<Value>;
using Model = std::map<std::uint64_t, int>;
using Visit = std::pair<std::uint64_t, int>;

std::vector<Visit> visits(const Log& log) {
  std::vector<Visit> out;
  log.for_each([&](Seq s, const Value& v) { out.emplace_back(s.value, v.n); });
  return out;
}

std::vector<Visit> visits(const Model& m) {
  return {m.begin(), m.end()};
}

void put(Log& log, std::uint64_t seq, int n) {
  log.try_emplace(Seq(seq)).first->n = n;
}

}  // namespace

TEST_CASE("slot log: an empty log finds nothing, visits nothing, erases nothing") {
  Log log;
  CHECK(log.empty());
  CHECK(log.find(Seq(1)) == nullptr);
  CHECK_FALSE(log.any_after(Seq(0)));
  CHECK(visits(log).empty());
  int erased = 0;
  log.erase_through(Seq(100), [&](Seq) { ++erased; });
  CHECK(erased == 0);
}

TEST_CASE("slot log: entries are created once and visited in sequence order") {
  Log log;
  put(log, 10, 1);
  put(log, 5, 2);   // below the lowest
  put(log, 40, 3);  // far above: the ring grows past its first size
  put(log, 7, 4);
  auto [again, created] = log.try_emplace(Seq(10));
  CHECK_FALSE(created);
  CHECK(again->n == 1);
  CHECK(log.size() == 4u);
  CHECK(visits(log) == std::vector<Visit>{{5, 2}, {7, 4}, {10, 1}, {40, 3}});
  CHECK(log.find(Seq(6)) == nullptr);  // inside the span, never created
  CHECK(log.find(Seq(41)) == nullptr);
  CHECK(log.find(Seq(4)) == nullptr);
  REQUIRE(log.find(Seq(40)) != nullptr);
  CHECK(log.find(Seq(40))->n == 3);
  CHECK(log.any_after(Seq(39)));
  CHECK_FALSE(log.any_after(Seq(40)));
  CHECK(log.any_after(Seq(0)));
}

TEST_CASE("slot log: erase_through erases up to a number, in order, and entries come back clear") {
  Log log;
  for (std::uint64_t s = 1; s <= 20; ++s) {
    auto* v = log.try_emplace(Seq(s)).first;
    v->n = static_cast<int>(s);
    v->buffer.assign(8, 1);
  }
  std::vector<std::uint64_t> erased;
  log.erase_through(Seq(12), [&](Seq s) { erased.push_back(s.value); });
  CHECK(erased == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  CHECK(log.size() == 8u);
  CHECK(log.find(Seq(12)) == nullptr);
  CHECK(log.find(Seq(13))->n == 13);
  // Numbers past the old span reuse the erased entries: they start cleared.
  for (std::uint64_t s = 21; s <= 32; ++s) {
    auto [v, created] = log.try_emplace(Seq(s));
    CHECK(created);
    CHECK(v->n == 0);
    CHECK(v->buffer.empty());
  }
  CHECK(log.size() == 20u);
  SECTION("a re-created number below the erased ones starts cleared too") {
    auto [v, created] = log.try_emplace(Seq(3));
    CHECK(created);
    CHECK(v->n == 0);
    CHECK(v->buffer.empty());
    CHECK(visits(log).front() == Visit{3, 0});
  }
  SECTION("erasing everything empties the log, and it fills again anywhere") {
    log.erase_through(Seq(1000), [](Seq) {});
    CHECK(log.empty());
    CHECK(visits(log).empty());
    put(log, 500, 9);
    CHECK(visits(log) == std::vector<Visit>{{500, 9}});
  }
}

TEST_CASE("slot log: for_each_after starts above a number and stops when asked") {
  Log log;
  for (std::uint64_t s : {3, 4, 6, 9}) put(log, s, static_cast<int>(s));
  std::vector<std::uint64_t> seen;
  log.for_each_after(Seq(4), [&](Seq s, Value&) {
    seen.push_back(s.value);
    return true;
  });
  CHECK(seen == std::vector<std::uint64_t>{6, 9});
  seen.clear();
  log.for_each_after(Seq(0), [&](Seq s, Value&) {
    seen.push_back(s.value);
    return seen.size() < 2;
  });
  CHECK(seen == std::vector<std::uint64_t>{3, 4});
  seen.clear();
  log.for_each_after(Seq(9), [&](Seq s, Value&) {
    seen.push_back(s.value);
    return true;
  });
  CHECK(seen.empty());
}

TEST_CASE("slot log: a PBFT slot cleared for reuse is a fresh slot with its vote capacity") {
  Slot slot;
  slot.prepares.reserve(7);
  slot.commits.reserve(7);
  auto pp = std::make_shared<const PrePrepare>(PrePrepare{View(1), Seq(5), {}, {}, NodeId(1), {}});
  slot.set_pre_prepare(pp);
  slot.prepares[NodeId(2)] = Prepare{View(1), Seq(5), {}, NodeId(2), {}};
  slot.commits[NodeId(3)] = Commit{View(1), Seq(5), {}, NodeId(3), {}};
  slot.prepared = PreparedProof{pp, {}};
  slot.proof = CommitProof{pp, {}};
  slot.prepare_sent = slot.commit_sent = slot.committed = slot.executed = true;
  slot.clear();
  CHECK(slot.pre_prepare == nullptr);
  CHECK(slot.batch == nullptr);
  CHECK(pp.use_count() == 1);  // nothing of the old slot holds the pre-prepare
  CHECK(slot.prepares.empty());
  CHECK(slot.commits.empty());
  CHECK(slot.prepares.capacity() >= 7u);
  CHECK(slot.commits.capacity() >= 7u);
  CHECK_FALSE(slot.prepared.has_value());
  CHECK_FALSE(slot.proof.has_value());
  CHECK_FALSE(slot.prepare_sent);
  CHECK_FALSE(slot.commit_sent);
  CHECK_FALSE(slot.committed);
  CHECK_FALSE(slot.executed);
}

TEST_CASE("slot log: random operations behave like a std::map keyed by sequence number") {
  rc::prop("same entries, order and erasures as the model after every step", [] {
    Log log;
    Model m;
    const std::uint64_t base = *rc::gen::inRange<std::uint64_t>(0, 1000);
    auto seq = [&] { return base + *rc::gen::inRange<std::uint64_t>(0, 80); };
    const std::size_t steps = *rc::gen::inRange<std::size_t>(1, 120);
    for (std::size_t i = 0; i < steps; ++i) {
      switch (*rc::gen::inRange(0, 5)) {
        case 0:
        case 1: {  // create (or find) and overwrite the value
          const std::uint64_t s = seq();
          const int n = *rc::gen::inRange(1, 1000);
          auto [v, created] = log.try_emplace(Seq(s));
          RC_ASSERT(created == (m.count(s) == 0));
          RC_ASSERT(v->n == (created ? 0 : m[s]));
          v->n = m[s] = n;
          break;
        }
        case 2: {
          const std::uint64_t s = seq();
          std::vector<std::uint64_t> erased, want;
          log.erase_through(Seq(s), [&](Seq e) { erased.push_back(e.value); });
          for (auto it = m.begin(); it != m.end() && it->first <= s;) {
            want.push_back(it->first);
            it = m.erase(it);
          }
          RC_ASSERT(erased == want);
          break;
        }
        case 3: {
          const int mod = *rc::gen::inRange(2, 5);
          log.erase_if([&](Seq, const Value& v) { return v.n % mod == 0; });
          std::erase_if(m, [&](const auto& e) { return e.second % mod == 0; });
          break;
        }
        default: {
          const std::uint64_t s = seq();
          std::vector<Visit> after;
          log.for_each_after(Seq(s), [&](Seq e, Value& v) {
            after.emplace_back(e.value, v.n);
            return true;
          });
          RC_ASSERT(after == std::vector<Visit>(m.upper_bound(s), m.end()));
          RC_ASSERT(log.any_after(Seq(s)) == (m.upper_bound(s) != m.end()));
        }
      }
      RC_ASSERT(log.size() == m.size());
      RC_ASSERT(log.empty() == m.empty());
      RC_ASSERT(visits(log) == visits(m));
      for (std::uint64_t s = base; s < base + 82; ++s) {
        const Value* v = std::as_const(log).find(Seq(s));
        RC_ASSERT((v != nullptr) == (m.count(s) == 1));
        if (v) RC_ASSERT(v->n == m.at(s));
      }
    }
  });
}
