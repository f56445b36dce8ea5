// Semantics of the seed's bank application.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "protocols/smr/bank.hpp"

using namespace knhk;
using namespace knhk::smr;

namespace {
bank::Result run(Application& app, const Bytes& op) {
  auto r = bank::decode_result(app.apply(op));
  REQUIRE(r);
  return *r;
}
std::uint64_t balance(Application& app, std::uint32_t a) {
  auto r = run(app, bank::encode_balance(a));
  REQUIRE(r.status == bank::Status::value);
  return r.value;
}
}  // namespace

TEST_CASE("bank: every account starts with the initial balance") {
  auto app = make_application(AppKind::bank, 5);
  for (std::uint32_t a = 0; a < 5; ++a) CHECK(balance(*app, a) == bank::kInitialBalance);
  CHECK(run(*app, bank::encode_balance(5)).status == bank::Status::error);
  CHECK(make_application(AppKind::bank, 5)->state_hash() == app->state_hash());
}

TEST_CASE("bank: transfer moves money and refuses insufficient funds") {
  auto app = make_application(AppKind::bank, 3);
  CHECK(run(*app, bank::encode_transfer(0, 1, 300)).status == bank::Status::ok);
  CHECK(balance(*app, 0) == 700);
  CHECK(balance(*app, 1) == 1300);
  auto before = app->state_hash();
  CHECK(run(*app, bank::encode_transfer(0, 2, 701)).status == bank::Status::insufficient_funds);
  CHECK(app->state_hash() == before);
  CHECK(run(*app, bank::encode_transfer(0, 2, 700)).status == bank::Status::ok);
  CHECK(balance(*app, 0) == 0);
  CHECK(run(*app, bank::encode_transfer(0, 3, 0)).status == bank::Status::error);
  CHECK(run(*app, bank::encode_transfer(1, 1, 1300)).status == bank::Status::ok);
  CHECK(balance(*app, 1) == 1300);
}

TEST_CASE("bank: approve sets an allowance that transfer_from spends") {
  auto app = make_application(AppKind::bank, 3);
  CHECK(run(*app, bank::encode_approve(0, 1, 250)).status == bank::Status::ok);
  CHECK(run(*app, bank::encode_allowance(0, 1)).value == 250);
  CHECK(run(*app, bank::encode_allowance(1, 0)).value == 0);
  CHECK(run(*app, bank::encode_transfer_from(1, 0, 2, 300)).status ==
        bank::Status::insufficient_allowance);
  CHECK(run(*app, bank::encode_transfer_from(1, 0, 2, 200)).status == bank::Status::ok);
  CHECK(balance(*app, 0) == 800);
  CHECK(balance(*app, 2) == 1200);
  CHECK(run(*app, bank::encode_allowance(0, 1)).value == 50);
  // Approving zero clears the allowance: same state as never approving.
  run(*app, bank::encode_approve(0, 1, 0));
  auto fresh = make_application(AppKind::bank, 3);
  run(*fresh, bank::encode_transfer(0, 2, 200));
  CHECK(fresh->state_hash() == app->state_hash());
}

TEST_CASE("bank: allowance beyond the balance gives insufficient funds, allowance kept") {
  auto app = make_application(AppKind::bank, 2);
  run(*app, bank::encode_approve(0, 1, 5000));
  CHECK(run(*app, bank::encode_transfer_from(1, 0, 1, 2000)).status ==
        bank::Status::insufficient_funds);
  CHECK(run(*app, bank::encode_allowance(0, 1)).value == 5000);
}

TEST_CASE("bank: malformed operations are errors; snapshots round-trip strictly") {
  auto app = make_application(AppKind::bank, 4);
  CHECK(run(*app, Bytes{}).status == bank::Status::error);
  CHECK(run(*app, Bytes{1, 0}).status == bank::Status::error);
  auto op = bank::encode_balance(1);
  op.push_back(0);
  CHECK(run(*app, op).status == bank::Status::error);
  run(*app, bank::encode_transfer(3, 0, 10));
  run(*app, bank::encode_approve(2, 1, 7));
  auto snap = app->snapshot();
  auto other = make_application(AppKind::bank, 4);
  REQUIRE(other->restore(snap));
  CHECK(other->state_hash() == app->state_hash());
  CHECK(balance(*other, 3) == 990);
  auto fresh = make_application(AppKind::bank, 4);
  auto fresh_hash = fresh->state_hash();
  CHECK_FALSE(fresh->restore(Bytes(snap.begin(), snap.end() - 1)));
  CHECK_FALSE(make_application(AppKind::bank, 5)->restore(snap));
  auto zero_allowance = snap;
  for (int i = 1; i <= 8; ++i) zero_allowance[zero_allowance.size() - i] = 0;
  CHECK_FALSE(fresh->restore(zero_allowance));
  CHECK(fresh->state_hash() == fresh_hash);
}

TEST_CASE("noop: answers empty results, counts commands, restores strictly") {
  auto a = make_application(AppKind::noop, 0);
  auto h0 = a->state_hash();
  CHECK(a->apply(Bytes{1, 2, 3}).empty());
  CHECK(a->state_hash() != h0);
  auto b = make_application(AppKind::noop, 0);
  REQUIRE(b->restore(a->snapshot()));
  CHECK(b->state_hash() == a->state_hash());
  CHECK_FALSE(b->restore(Bytes{1}));
}

// The incremental state hash (a sum of per-balance and per-allowance digests) must be a
// function of the state alone: equal to the hash recomputed from the snapshot bytes, kept
// by a restore, and moved by every change of the snapshot.
TEST_CASE("bank: the incremental state hash always equals the hash of the snapshot") {
  rc::prop("random operations", [] {
    const auto accounts = *rc::gen::inRange<std::uint32_t>(1, 5);
    auto app = make_application(AppKind::bank, accounts);
    const auto steps = *rc::gen::inRange(1, 60);
    for (int i = 0; i < steps; ++i) {
      // Account ids up to accounts (one past the end: an error that changes nothing).
      auto id = [&] { return *rc::gen::inRange<std::uint32_t>(0, accounts + 1); };
      const auto amount = *rc::gen::element<std::uint64_t>(0, 1, 7, 300, 1000, 2500);
      Bytes op;
      switch (*rc::gen::inRange(0, 3)) {
        case 0:
          op = bank::encode_transfer(id(), id(), amount);
          break;
        case 1:
          op = bank::encode_approve(id(), id(), amount);
          break;
        default:
          op = bank::encode_transfer_from(id(), id(), id(), amount);
      }
      const Bytes before = app->snapshot();
      const Digest hash_before = app->state_hash();
      app->apply(op);
      const Bytes after = app->snapshot();
      RC_ASSERT(app->state_hash() == snapshot_state_hash(after));
      RC_ASSERT((after == before) == (app->state_hash() == hash_before));
      auto restored = make_application(AppKind::bank, accounts);
      RC_ASSERT(restored->restore(after));
      RC_ASSERT(restored->state_hash() == app->state_hash());
    }
  });
}
