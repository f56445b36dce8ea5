// The incremental state hash: the state machine keeps the client-table digest up to date
// per touched client; it must always equal the hash recomputed from scratch.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "protocols/common/codec.hpp"
#include "protocols/smr/kv.hpp"
#include "protocols/smr/state_machine.hpp"
#include "tests/smr/smr_test_util.hpp"

using namespace knhk;
using namespace knhk::smr;
using knhk::smr::testing::make_batch;
using knhk::smr::testing::put_req;

namespace {

Digest from_scratch(const StateMachine& sm) {
  auto snap = sm.take_snapshot();
  return compute_state_hash(snap.position, snapshot_state_hash(snap.app_state), snap.clients);
}

}  // namespace

TEST_CASE("state hash: digest_add and digest_sub are inverse and carry across bytes") {
  Digest a, b;
  a.bytes.fill(0xff);
  b.bytes[0] = 1;
  Digest sum = digest_add(a, b);
  CHECK(sum.is_zero());  // 2^256 - 1 + 1 wraps to 0
  CHECK(digest_sub(sum, b) == a);
  Digest x = blake2b(std::string("x")), y = blake2b(std::string("y"));
  CHECK(digest_add(x, y) == digest_add(y, x));
  CHECK(digest_sub(digest_add(x, y), y) == x);
}

TEST_CASE("state hash: digest_add and digest_sub are byte-wise sums modulo 2^256") {
  // The definition, one byte at a time with a carry (digest_sum.hpp works on 64-bit limbs).
  const auto reference = [](const Digest& a, const Digest& b, bool subtract) {
    Digest out;
    int carry = 0;
    for (std::size_t i = 0; i < a.bytes.size(); ++i) {
      int v = subtract ? a.bytes[i] - b.bytes[i] - carry : a.bytes[i] + b.bytes[i] + carry;
      carry = subtract ? (v < 0 ? 1 : 0) : (v > 0xff ? 1 : 0);
      out.bytes[i] = static_cast<std::uint8_t>(v & 0xff);
    }
    return out;
  };
  rc::prop("limb sums equal byte sums", [&] {
    Digest a, b;
    // Bytes of 0x00 and 0xff often, so that carries and borrows run across limbs.
    const auto byte =
        rc::gen::weightedOneOf<std::uint8_t>({{2, rc::gen::just<std::uint8_t>(0)},
                                              {2, rc::gen::just<std::uint8_t>(0xff)},
                                              {3, rc::gen::arbitrary<std::uint8_t>()}});
    for (auto& x : a.bytes) x = *byte;
    for (auto& x : b.bytes) x = *byte;
    RC_ASSERT(digest_add(a, b) == reference(a, b, false));
    RC_ASSERT(digest_sub(a, b) == reference(a, b, true));
  });
}

TEST_CASE("state hash: the incremental hash equals the from-scratch hash after random runs") {
  rc::prop("state_hash() == compute_state_hash(snapshot contents)", [] {
    auto ops = *rc::gen::container<
        std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint32_t, std::uint8_t>>>(
        rc::gen::tuple(rc::gen::inRange<std::uint32_t>(1, 5),
                       rc::gen::inRange<std::uint64_t>(1, 90),
                       rc::gen::inRange<std::uint32_t>(0, 8), rc::gen::arbitrary<std::uint8_t>()));
    StateMachine sm(make_application(AppKind::kv, 8), 0);
    std::uint64_t slot = 0;
    for (std::size_t i = 0; i < ops.size(); i += 3) {
      Batch batch;
      for (std::size_t j = i; j < ops.size() && j < i + 3; ++j) {
        auto [c, id, key, v] = ops[j];
        batch.push_back(put_req(c, id, key, std::string(1, static_cast<char>(v))));
      }
      Effects out;
      sm.execute(std::make_shared<const Batch>(batch), View(0), ++slot, out);
      RC_ASSERT(sm.state_hash() == from_scratch(sm));
      // The checkpoint encoding copies reply windows the machine keeps encoded; it must
      // be the encoding of the table itself (ids here arrive out of order and evict).
      RC_ASSERT(sm.encoded_snapshot() == encode_snapshot(sm.take_snapshot()));
    }
  });
}

TEST_CASE("state hash: a change to one client's reply cache changes the hash") {
  StateMachine sm(make_application(AppKind::noop, 1), 0);
  Effects out;
  sm.execute(make_batch({put_req(1, 1, 0, "a"), put_req(2, 1, 0, "b")}), View(0), 1, out);
  auto snap = sm.take_snapshot();
  CHECK(snapshot_hash_valid(snap));
  auto tampered = snap;
  tampered.clients.at(ClientId(2)).find(RequestId(1))->second = Bytes{0x01};
  CHECK_FALSE(snapshot_hash_valid(tampered));
  tampered = snap;
  tampered.clients.at(ClientId(1)).floor = RequestId(1);
  CHECK_FALSE(snapshot_hash_valid(tampered));
  // The fields the relative header leaves to the window still count.
  tampered = snap;
  tampered.clients.at(ClientId(1)).last_result = Bytes{0x07};
  CHECK_FALSE(snapshot_hash_valid(tampered));
  tampered = snap;
  tampered.clients.at(ClientId(1)).last_request = RequestId(2);
  CHECK_FALSE(snapshot_hash_valid(tampered));
  tampered = snap;
  tampered.clients.at(ClientId(1)).recent.clear();
  CHECK_FALSE(snapshot_hash_valid(tampered));
  tampered = snap;
  tampered.clients.at(ClientId(1)).recent.push_front({RequestId(0), Bytes{}});
  CHECK_FALSE(snapshot_hash_valid(tampered));
  // Moving an entry to another client id is a different state too.
  tampered = snap;
  tampered.clients.erase(ClientId(2));
  tampered.clients.emplace(ClientId(3), snap.clients.at(ClientId(2)));
  CHECK_FALSE(snapshot_hash_valid(tampered));
}

TEST_CASE("state hash: the same client table reached in a different order hashes the same") {
  auto run = [](bool client1_first) {
    StateMachine sm(make_application(AppKind::noop, 1), 0);
    Effects out;
    auto a = make_batch({put_req(1, 1, 0, "a")});
    auto b = make_batch({put_req(2, 1, 0, "b")});
    sm.execute(client1_first ? a : b, View(0), 1, out);
    sm.execute(client1_first ? b : a, View(0), 2, out);
    return sm.state_hash();
  };
  CHECK(run(true) == run(false));
}

TEST_CASE("state hash: stays equal to the from-scratch hash while the reply cache evicts") {
  StateMachine sm(make_application(AppKind::kv, 8), 0);
  for (std::uint64_t id = 1; id <= kReplyCacheWindow + 20; ++id) {
    Effects out;
    // Ids arrive slightly out of order, as with several requests outstanding.
    std::uint64_t rid = id % 2 == 0 ? id - 1 : id + 1;
    sm.execute(make_batch({put_req(1, rid, id % 8, std::to_string(id)), put_req(2, id, 1, "x")}),
               View(0), id, out);
    REQUIRE(sm.state_hash() == from_scratch(sm));
  }
  CHECK(sm.client_entry(ClientId(1))->floor > RequestId(1));
}

// A full window that takes an id older than some of its entries: the oldest entry leaves,
// whichever it is. With the even ids 2..128 executed (64 of them), 1 is older than all of
// them and leaves at once (the floor passes it); then 3 goes second and 2 leaves.
TEST_CASE("state hash: an out-of-order id entering a full reply window evicts the oldest") {
  StateMachine sm(make_application(AppKind::kv, 8), 0);
  std::uint64_t slot = 0;
  auto run = [&](std::uint64_t id) {
    Effects out;
    sm.execute(make_batch({put_req(1, id, id % 8, std::to_string(id))}), View(0), ++slot, out);
    REQUIRE(sm.state_hash() == from_scratch(sm));
    REQUIRE(sm.encoded_snapshot() == encode_snapshot(sm.take_snapshot()));
  };
  for (std::uint64_t id = 2; id <= 2 * kReplyCacheWindow; id += 2) run(id);
  const ClientEntry* e = sm.client_entry(ClientId(1));
  REQUIRE(e->recent.size() == kReplyCacheWindow);
  REQUIRE(e->floor <= RequestId(1));
  run(1);
  e = sm.client_entry(ClientId(1));
  CHECK(e->recent.size() == kReplyCacheWindow);
  CHECK(e->recent.front().first == RequestId(2));
  CHECK(e->floor == RequestId(2));
  run(3);
  e = sm.client_entry(ClientId(1));
  CHECK(e->recent.size() == kReplyCacheWindow);
  CHECK(e->recent.front().first == RequestId(3));
  CHECK(e->floor == RequestId(3));
  run(5);  // again: 3 leaves
  CHECK(sm.client_entry(ClientId(1))->recent.front().first == RequestId(4));
}

// The digests are hashed from a stack buffer (hash_input.hpp) that spills into a Hasher
// for long inputs; both paths must hash exactly the documented field layout.
TEST_CASE(
    "state hash: reply/client-header/kv-entry digests hash their documented fields for short and "
    "long inputs") {
  for (std::size_t len : {0, 1, 13, 200, 250, 4096}) {
    Bytes result(len);
    for (std::size_t i = 0; i < len; ++i) result[i] = static_cast<std::uint8_t>(i * 7 + 1);

    Hasher reply;
    reply.update(std::string("knhk.smr.reply.v1"));
    reply.update_u64(3);
    reply.update_u64(99);
    reply.update_u64(len);
    reply.update(result);
    CHECK(reply_digest(ClientId(3), RequestId(99), result) == reply.finish());

    // The header relative to the window: its newest entry is (last_request, last_result).
    ClientEntry e;
    e.last_request = RequestId(99);
    e.last_result = result;
    e.floor = RequestId(40);
    e.recent.push_back({RequestId(97), Bytes{}});
    e.recent.push_back({RequestId(99), result});
    REQUIRE(window_floor_gap(e) == std::optional<std::uint64_t>(57));
    Hasher relative;
    relative.update(std::string("knhk.smr.client.v3"));
    relative.update_u64(3);
    const std::uint8_t relative_form = 1;
    relative.update({&relative_form, 1});
    relative.update_u64(57);
    CHECK(client_header_digest(ClientId(3), e) == relative.finish());
    CHECK(client_digest(ClientId(3), e) ==
          digest_add(client_header_digest(ClientId(3), e), reply_cache_digest(ClientId(3), e)));
    CHECK(reply_cache_digest(ClientId(3), e) ==
          digest_add(reply_digest(ClientId(3), RequestId(97), {}),
                     reply_digest(ClientId(3), RequestId(99), result)));

    // Written out when the newest entry is not the last request (a snapshot may say so).
    e.recent.pop_back();
    REQUIRE_FALSE(window_floor_gap(e).has_value());
    Hasher explicit_form;
    explicit_form.update(std::string("knhk.smr.client.v3"));
    explicit_form.update_u64(3);
    const std::uint8_t written_out = 0;
    explicit_form.update({&written_out, 1});
    explicit_form.update_u64(99);
    explicit_form.update_u64(len);
    explicit_form.update(result);
    explicit_form.update_u64(40);
    CHECK(client_header_digest(ClientId(3), e) == explicit_form.finish());

    Writer entry;
    entry.string("knhk.kv.entry.v1");
    entry.u8(1);  // a named key
    entry.string("some-key");
    entry.bytes(result);
    CHECK(kv::entry_digest(kv::Key::named("some-key"), result) == blake2b(entry.bytes()));
  }
}

// A snapshot may hold entries whose header cannot be written relative to the window (no
// window, or a newest entry that is not the last request). Installed, such a client keeps
// the incremental hash equal to the from-scratch one until and after it executes again,
// also when its window evicts (which moves the floor of a written-out header).
TEST_CASE("state hash: clients installed in the written-out header form stay consistent") {
  StateMachine source(make_application(AppKind::kv, 8), 0);
  Effects out;
  std::uint64_t slot = 0;
  source.execute(make_batch({put_req(1, 5, 0, "a")}), View(0), ++slot, out);
  for (std::uint64_t id = 1; id <= kReplyCacheWindow; ++id)
    source.execute(make_batch({put_req(2, id, 1, "b")}), View(0), ++slot, out);
  auto snap = source.take_snapshot();
  snap.clients.at(ClientId(1)).recent.clear();                 // no window at all
  snap.clients.at(ClientId(2)).last_request = RequestId(100);  // newest entry is id 64
  snap.clients.at(ClientId(2)).last_result = Bytes{0x00};
  REQUIRE_FALSE(window_floor_gap(snap.clients.at(ClientId(1))).has_value());
  REQUIRE_FALSE(window_floor_gap(snap.clients.at(ClientId(2))).has_value());
  snap.state_hash =
      compute_state_hash(snap.position, snapshot_state_hash(snap.app_state), snap.clients);

  StateMachine sm(make_application(AppKind::kv, 8), 0);
  REQUIRE(sm.install_snapshot(snap, out));
  CHECK(sm.state_hash() == snap.state_hash);
  // Client 2 executes ids below its last request (stays written out; the full window
  // evicts and raises the floor), then ids above it (becomes relative); client 1 starts a
  // new window.
  for (auto [c, id] : {std::pair{2u, 65u}, {1u, 6u}, {2u, 66u}, {2u, 101u}, {1u, 7u}}) {
    sm.execute(make_batch({put_req(c, id, c, std::string("v").append(std::to_string(id)))}),
               View(0), ++slot, out);
    REQUIRE(sm.state_hash() == from_scratch(sm));
    // The windows kept encoded for checkpoints follow (id 65 is newer than the whole full
    // window yet not above the last request: it evicts through the rare path).
    REQUIRE(sm.encoded_snapshot() == encode_snapshot(sm.take_snapshot()));
  }
  CHECK(sm.client_entry(ClientId(2))->floor == RequestId(4));
  CHECK(window_floor_gap(*sm.client_entry(ClientId(2))).has_value());
}
