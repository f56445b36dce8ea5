// StateMachine::already_executed answers from a compact copy of each client's floor and
// last_request; it must always agree with the client table's own ClientEntry::executed.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "protocols/smr/kv.hpp"
#include "protocols/smr/state_machine.hpp"
#include "tests/smr/smr_test_util.hpp"

using namespace knhk;
using namespace knhk::smr;
using knhk::smr::testing::apply_effects;
using knhk::smr::testing::make_batch;
using knhk::smr::testing::put_req;

namespace {

constexpr std::uint32_t kClients = 5;
constexpr std::uint64_t kIds = 100;

// Every (client, id) of a small range, including clients the machine never saw.
void check_agrees_with_table(const StateMachine& sm) {
  for (std::uint32_t c = 0; c <= kClients; ++c) {
    const ClientEntry* e = sm.client_entry(ClientId(c));
    for (std::uint64_t id = 0; id <= kIds; ++id) {
      const bool expected = e && e->executed(RequestId(id));
      RC_ASSERT(sm.already_executed(ClientId(c), RequestId(id)) == expected);
    }
  }
}

}  // namespace

TEST_CASE("already_executed agrees with the client table after random batches and recovery") {
  rc::prop("already_executed(c, id) == client_entry(c)->executed(id)", [] {
    // Ids out of order and repeated, windows that overflow (ids up to 90 > 64 per client).
    auto ops = *rc::gen::container<std::vector<std::pair<std::uint32_t, std::uint64_t>>>(
        rc::gen::pair(rc::gen::inRange<std::uint32_t>(1, kClients + 1),
                      rc::gen::inRange<std::uint64_t>(1, 91)));
    const auto batch_size = *rc::gen::inRange<std::size_t>(1, 6);
    StateMachine sm(make_application(AppKind::kv, 8), 7);
    DurableStore store;
    std::uint64_t slot = 0;
    for (std::size_t i = 0; i < ops.size(); i += batch_size) {
      Batch batch;
      for (std::size_t j = i; j < ops.size() && j < i + batch_size; ++j)
        batch.push_back(put_req(ops[j].first, ops[j].second, j % 8, "v"));
      Effects out;
      sm.execute(std::make_shared<const Batch>(batch), View(0), ++slot, out);
      apply_effects(out, store);
      check_agrees_with_table(sm);
    }
    // Recovery rebuilds the table from the snapshot and the log, and the bounds with it.
    StateMachine recovered(make_application(AppKind::kv, 8), 7);
    RC_ASSERT(recovered.recover(store).ok);
    check_agrees_with_table(recovered);
  });
}

TEST_CASE("already_executed follows an installed snapshot, a floor above last_request included") {
  StateMachine source(make_application(AppKind::kv, 8), 0);
  Effects out;
  source.execute(make_batch({put_req(1, 1, 0, "a"), put_req(2, 5, 1, "b")}), View(0), 1, out);
  Snapshot snap = source.take_snapshot();
  // An empty window lets a decoded snapshot carry any floor: here 40 > last_request (5).
  ClientEntry& e = snap.clients.at(ClientId(2));
  e.recent.clear();
  e.floor = RequestId(40);
  snap.state_hash =
      compute_state_hash(snap.position, snapshot_state_hash(snap.app_state), snap.clients);
  REQUIRE(decode_snapshot(encode_snapshot(snap)) == snap);

  StateMachine target(make_application(AppKind::kv, 8), 0);
  target.execute(make_batch({put_req(2, 70, 1, "c")}), View(0), 1, out);
  REQUIRE(target.already_executed(ClientId(2), RequestId(70)));
  REQUIRE(target.install_snapshot(snap, out));
  CHECK(target.already_executed(ClientId(2), RequestId(20)));  // below the floor
  CHECK(target.already_executed(ClientId(2), RequestId(39)));
  CHECK_FALSE(target.already_executed(ClientId(2), RequestId(40)));
  CHECK_FALSE(target.already_executed(ClientId(2), RequestId(70)));  // the replaced state's
  CHECK(target.already_executed(ClientId(1), RequestId(1)));
  CHECK_FALSE(target.already_executed(ClientId(3), RequestId(1)));
  // Executing on top of it moves the bounds with the table.
  target.execute(make_batch({put_req(2, 41, 1, "d"), put_req(3, 2, 2, "e")}), View(0), 2, out);
  CHECK(target.already_executed(ClientId(2), RequestId(41)));
  CHECK_FALSE(target.already_executed(ClientId(2), RequestId(42)));
  CHECK(target.already_executed(ClientId(3), RequestId(2)));
  CHECK_FALSE(target.already_executed(ClientId(3), RequestId(1)));
}
