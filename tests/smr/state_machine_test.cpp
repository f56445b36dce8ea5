// The replicated state machine: ordered execution, at-most-once, durable log,
// snapshots, recovery and snapshot installation.
#include <catch2/catch.hpp>

#include "protocols/smr/kv.hpp"
#include "protocols/smr/state_machine.hpp"
#include "tests/smr/smr_test_util.hpp"

using namespace knhk;
using namespace knhk::smr;
using knhk::smr::testing::apply_effects;
using knhk::smr::testing::make_batch;
using knhk::smr::testing::put_req;

TEST_CASE("state machine: executes batches in order and emits a commit with the state hash") {
  StateMachine sm(make_application(AppKind::kv, 10), 0);
  Effects out;
  auto batch = make_batch({put_req(1, 1, 0, "a"), put_req(2, 1, 0, "b")});
  auto res = sm.execute(batch, View(3), 7, out);
  CHECK(res.position == Seq(1));
  CHECK(sm.last_position() == Seq(1));
  REQUIRE(res.requests.size() == 2);
  CHECK(res.requests[0].request == &(*batch)[0]);
  CHECK(kv::decode_result(res.requests[1].result)->status == kv::Status::ok);
  auto commits = std::vector<CommitEffect>{};
  for (auto& e : out.list)
    if (auto* c = std::get_if<CommitEffect>(&e)) commits.push_back(*c);
  REQUIRE(commits.size() == 1);
  CHECK(commits[0].position == Seq(1));
  CHECK(commits[0].view == View(3));
  CHECK(commits[0].slot == 7);
  CHECK(commits[0].batch_digest == batch_digest(*batch));
  CHECK(commits[0].state_hash == sm.state_hash());
  CHECK(commits[0].state_hash == res.state_hash);
  // The log entry is persisted before the commit is announced (write-ahead).
  REQUIRE(std::holds_alternative<PersistEffect>(out.list.front()));
  auto& persist = std::get<PersistEffect>(out.list.front());
  CHECK(persist.key == "smr/log/00000000000000000001");
  auto entry = decode_log_entry(persist.value);
  REQUIRE(entry);
  CHECK(entry->batch == *batch);
  CHECK(entry->view == View(3));
}

TEST_CASE("state machine: a duplicate request is not applied twice and gets the cached reply") {
  StateMachine sm(make_application(AppKind::kv, 10), 0);
  Effects out;
  sm.execute(make_batch({knhk::smr::testing::cas_req(1, 5, 0, std::nullopt, "a")}), View(0), 1,
             out);
  CHECK(sm.already_executed(ClientId(1), RequestId(5)));
  // Clients may have several requests in flight: a lower id may still commit later.
  CHECK_FALSE(sm.already_executed(ClientId(1), RequestId(4)));
  CHECK_FALSE(sm.already_executed(ClientId(1), RequestId(6)));
  CHECK_FALSE(sm.already_executed(ClientId(2), RequestId(1)));
  auto first_result = sm.client_entry(ClientId(1))->last_result;
  CHECK(kv::decode_result(first_result)->status == kv::Status::ok);
  auto hash = sm.state_hash();

  // Re-executing the same cas would fail if applied; the duplicate returns the cached ok.
  auto res = sm.execute(make_batch({knhk::smr::testing::cas_req(1, 5, 0, std::nullopt, "a")}),
                        View(0), 2, out);
  REQUIRE(res.requests.size() == 1);
  CHECK(res.requests[0].duplicate);
  CHECK(res.requests[0].result == first_result);
  // Only the position moved; the application and the reply cache did not change.
  StateMachine fresh(make_application(AppKind::kv, 10), 0);
  fresh.execute(make_batch({knhk::smr::testing::cas_req(1, 5, 0, std::nullopt, "a")}), View(0), 1,
                out);
  fresh.execute(make_batch({}), View(0), 2, out);
  CHECK(sm.state_hash() == fresh.state_hash());
  CHECK(sm.state_hash() != hash);
}

TEST_CASE("state machine: out-of-order ids execute once; the reply cache window is bounded") {
  StateMachine sm(make_application(AppKind::kv, 10), 0);
  Effects out;
  sm.execute(make_batch({put_req(1, 2, 0, "b")}), View(0), 1, out);
  auto late = sm.execute(make_batch({put_req(1, 1, 0, "a")}), View(0), 2, out);
  CHECK_FALSE(late.requests[0].duplicate);  // id 1 was still in flight: it executes
  auto again = sm.execute(make_batch({put_req(1, 1, 0, "a")}), View(0), 3, out);
  CHECK(again.requests[0].duplicate);
  REQUIRE(sm.client_entry(ClientId(1))->result_of(RequestId(1)) != nullptr);
  // Push id 1 and 2 out of the window: they stay executed (below the floor), uncached.
  for (std::uint64_t id = 3; id < 3 + kReplyCacheWindow; ++id)
    sm.execute(make_batch({put_req(1, id, 0, "x")}), View(0), 3 + id, out);
  const auto* e = sm.client_entry(ClientId(1));
  CHECK(e->recent.size() == kReplyCacheWindow);
  CHECK(e->result_of(RequestId(1)) == nullptr);
  CHECK(sm.already_executed(ClientId(1), RequestId(1)));
  CHECK(sm.already_executed(ClientId(1), RequestId(2)));
  CHECK_FALSE(sm.already_executed(ClientId(1), RequestId(3 + kReplyCacheWindow)));
}

TEST_CASE("state machine: equal histories give equal hashes, different ones differ") {
  auto run = [](const std::string& v) {
    StateMachine sm(make_application(AppKind::kv, 10), 2);
    Effects out;
    sm.execute(make_batch({put_req(1, 1, 0, "a"), put_req(2, 1, 1, v)}), View(0), 1, out);
    sm.execute(make_batch({put_req(1, 2, 2, "c")}), View(1), 2, out);
    return sm.state_hash();
  };
  CHECK(run("b") == run("b"));
  CHECK(run("b") != run("x"));
}

TEST_CASE("state machine: a durable snapshot is the state when it was taken, as persisted") {
  // Interval 5, three commands per batch: durable snapshots after batches 2, 4, 6, ...
  StateMachine sm(make_application(AppKind::kv, 10), 5);
  CHECK_FALSE(sm.last_durable_snapshot());
  std::optional<Snapshot> expected;
  Bytes persisted;
  std::uint64_t id = 0;
  for (std::uint64_t b = 1; b <= 9; ++b) {
    Effects out;
    ++id;
    sm.execute(make_batch({put_req(1, id, b % 10, std::string("v").append(std::to_string(b))),
                           put_req(2, id, (b + 3) % 10, "w"), put_req(3, id + 70, 0, "x")}),
               View(0), b, out);
    for (const auto& e : out.list)
      if (const auto* p = std::get_if<PersistEffect>(&e); p && p->key == kSnapshotKey) {
        expected = sm.take_snapshot();  // the state right after the batch that took it
        persisted = p->value;
      }
    // Asked for at once or only after more batches: the snapshot taken then, not now.
    if (b % 3 != 0) continue;
    REQUIRE(expected);
    REQUIRE(sm.last_durable_snapshot());
    CHECK(*sm.last_durable_snapshot() == *expected);
    CHECK(persisted == encode_snapshot(*expected));
  }
  CHECK(sm.last_durable_snapshot()->position == Seq(8));
  // A snapshot installed by state transfer is the durable one from then on.
  StateMachine other(make_application(AppKind::kv, 10), 5);
  Effects out;
  other.execute(make_batch({put_req(4, 1, 1, "o")}), View(0), 1, out);
  REQUIRE(sm.install_snapshot(other.take_snapshot(), out));
  REQUIRE(sm.last_durable_snapshot());
  CHECK(*sm.last_durable_snapshot() == other.take_snapshot());
}

TEST_CASE("state machine: snapshots every k commands and erases the covered log") {
  StateMachine sm(make_application(AppKind::kv, 10), 3);
  DurableStore store;
  std::uint64_t id = 0;
  for (int b = 0; b < 4; ++b) {
    Effects out;
    sm.execute(make_batch({put_req(1, ++id, b, "v"), put_req(2, id, b + 1, "w")}), View(0),
               static_cast<std::uint64_t>(b + 1), out);
    apply_effects(out, store);
  }
  // 2 commands per batch, interval 3: snapshots after batch 2 (4 commands) and 4 (4 more).
  REQUIRE(sm.last_durable_snapshot());
  CHECK(sm.last_durable_snapshot()->position == Seq(4));
  CHECK(store.count("smr/snapshot") == 1);
  for (auto& [k, v] : store) CHECK(k.rfind("smr/log/", 0) != 0);
  auto snap = decode_snapshot(store.at("smr/snapshot"));
  REQUIRE(snap);
  CHECK(snap->position == Seq(4));
  CHECK(snap->state_hash == sm.state_hash());
  CHECK(snapshot_hash_valid(*snap));
}

TEST_CASE("state machine: recover restores snapshot and replays the log after it") {
  StateMachine live(make_application(AppKind::bank, 4), 4);
  DurableStore store;
  for (std::uint64_t i = 1; i <= 7; ++i) {
    Effects out;
    live.execute(make_batch({knhk::smr::testing::request(
                     1, i, smr_bank_transfer(static_cast<std::uint32_t>(i % 4), 0, 10))}),
                 View(0), i, out);
    apply_effects(out, store);
  }
  CHECK(store.count("smr/snapshot") == 1);
  CHECK(store.count(log_key(Seq(5))) == 1);
  StateMachine recovered(make_application(AppKind::bank, 4), 4);
  auto report = recovered.recover(store);
  CHECK(report.ok);
  CHECK(report.snapshot_position == Seq(4));
  CHECK(report.replayed == 3);
  CHECK(recovered.last_position() == Seq(7));
  CHECK(recovered.state_hash() == live.state_hash());
  CHECK(recovered.client_entry(ClientId(1))->last_request == RequestId(7));
  // The recovered machine continues exactly like the live one.
  Effects a, b;
  auto next = make_batch({knhk::smr::testing::request(2, 1, smr_bank_transfer(0, 1, 5))});
  CHECK(live.execute(next, View(0), 8, a).state_hash ==
        recovered.execute(next, View(0), 8, b).state_hash);
}

TEST_CASE("state machine: recover reports a corrupt snapshot or a gap in the log") {
  StateMachine live(make_application(AppKind::kv, 10), 0);
  DurableStore store;
  for (std::uint64_t i = 1; i <= 3; ++i) {
    Effects out;
    live.execute(make_batch({put_req(1, i, 0, "v")}), View(0), i, out);
    apply_effects(out, store);
  }
  auto gap = store;
  gap.erase(log_key(Seq(2)));
  StateMachine r1(make_application(AppKind::kv, 10), 0);
  auto report = r1.recover(gap);
  CHECK_FALSE(report.ok);
  CHECK(r1.last_position() == Seq(1));

  auto corrupt = store;
  corrupt["smr/snapshot"] = Bytes{0x53, 1, 2};
  StateMachine r2(make_application(AppKind::kv, 10), 0);
  CHECK_FALSE(r2.recover(corrupt).ok);
}

TEST_CASE("state machine: install_snapshot verifies the hash, replaces state, persists it") {
  StateMachine a(make_application(AppKind::kv, 10), 0);
  Effects out;
  a.execute(make_batch({put_req(1, 1, 1, "x")}), View(0), 1, out);
  a.execute(make_batch({put_req(2, 1, 2, "y")}), View(0), 2, out);
  auto snap = a.take_snapshot();
  CHECK(snapshot_hash_valid(snap));

  StateMachine b(make_application(AppKind::kv, 10), 0);
  DurableStore store;
  Effects b_out;
  b.execute(make_batch({put_req(3, 1, 3, "z")}), View(0), 1, b_out);
  apply_effects(b_out, store);
  auto b_hash = b.state_hash();

  auto forged = snap;
  forged.app_state.back() ^= 1;
  Effects refused;
  CHECK_FALSE(b.install_snapshot(forged, refused));
  CHECK(refused.list.empty());
  auto wrong_hash = snap;
  wrong_hash.state_hash.bytes[0] ^= 1;
  CHECK_FALSE(b.install_snapshot(wrong_hash, refused));
  CHECK(b.state_hash() == b_hash);
  CHECK(b.last_position() == Seq(1));

  Effects installed;
  REQUIRE(b.install_snapshot(snap, installed));
  apply_effects(installed, store);
  CHECK(b.state_hash() == a.state_hash());
  CHECK(b.last_position() == Seq(2));
  CHECK(b.already_executed(ClientId(2), RequestId(1)));
  CHECK_FALSE(b.already_executed(ClientId(3), RequestId(1)));
  CHECK(store.count(log_key(Seq(1))) == 0);  // the abandoned log entry is gone
  StateMachine c(make_application(AppKind::kv, 10), 0);
  c.recover(store);
  CHECK(c.state_hash() == a.state_hash());
}

TEST_CASE("state machine: decode_snapshot rejects malformed bytes") {
  StateMachine a(make_application(AppKind::kv, 10), 0);
  Effects out;
  a.execute(make_batch({put_req(1, 1, 1, "x"), put_req(2, 1, 1, "y")}), View(0), 1, out);
  auto bytes = encode_snapshot(a.take_snapshot());
  REQUIRE(decode_snapshot(bytes));
  CHECK(*decode_snapshot(bytes) == a.take_snapshot());
  auto trailing = bytes;
  trailing.push_back(0);
  CHECK_FALSE(decode_snapshot(trailing));
  for (std::size_t n = 0; n < bytes.size(); ++n)
    CHECK_FALSE(decode_snapshot(std::span(bytes.data(), n)));
}

TEST_CASE("state machine: a reply window with ids above the client's last request is malformed") {
  // ClientEntry::executed answers "not executed" for any id above last_request without
  // looking into the window; a snapshot that breaks that invariant must not be loaded.
  StateMachine a(make_application(AppKind::kv, 10), 0);
  Effects out;
  a.execute(make_batch({put_req(1, 3, 1, "x"), put_req(1, 5, 1, "y")}), View(0), 1, out);
  Snapshot snap = a.take_snapshot();
  REQUIRE(decode_snapshot(encode_snapshot(snap)));
  CHECK(a.already_executed(ClientId(1), RequestId(5)));
  CHECK_FALSE(a.already_executed(ClientId(1), RequestId(4)));
  CHECK_FALSE(a.already_executed(ClientId(1), RequestId(6)));
  snap.clients.at(ClientId(1)).last_request = RequestId(4);
  CHECK_FALSE(decode_snapshot(encode_snapshot(snap)));
}

TEST_CASE("state machine: log keys are the position in 20 zero-padded digits") {
  CHECK(log_key(Seq(0)) == "smr/log/00000000000000000000");
  CHECK(log_key(Seq(1234567890)) == "smr/log/00000000001234567890");
  CHECK(log_key(Seq(UINT64_MAX)) == "smr/log/18446744073709551615");
}

TEST_CASE("state machine: a log entry from the batch's own encoding has the same bytes") {
  auto batch = make_batch({put_req(1, 1, 0, "a"), put_req(2, 1, 0, "bb"), put_req(3, 4, 2, "c")});
  Writer encoded;
  encode(encoded, *batch);
  REQUIRE(encode_log_entry(View(3), 7, encoded.bytes()) == encode_log_entry(View(3), 7, *batch));
  Writer empty;
  encode(empty, Batch{});
  REQUIRE(encode_log_entry(View(0), 0, empty.bytes()) == encode_log_entry(View(0), 0, Batch{}));
  // execute() logs the given encoding as it is, the same entry as when it encodes itself.
  StateMachine given(make_application(AppKind::kv, 10), 0),
      own(make_application(AppKind::kv, 10), 0);
  Effects out_given, out_own;
  given.execute(batch, batch_digest(*batch), View(3), 7, out_given, encoded.bytes());
  own.execute(batch, batch_digest(*batch), View(3), 7, out_own);
  REQUIRE(std::get<PersistEffect>(out_given.list.front()).value ==
          std::get<PersistEffect>(out_own.list.front()).value);
}
