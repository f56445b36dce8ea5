// Request::digests: replicas that execute the same request object share the digests of
// its execution (reply, kv entry) without any replica's result or state changing.
#include <catch2/catch.hpp>

#include "protocols/smr/application.hpp"
#include "smr_test_util.hpp"

using namespace knhk;
using namespace knhk::smr;
using namespace knhk::smr::testing;

namespace {

StateMachine kv_machine() {
  return StateMachine(make_application(AppKind::kv, 16), 0);
}

// A fresh copy of every request: copies start with empty memos.
std::shared_ptr<const Batch> copy_of(const Batch& b) {
  return std::make_shared<const Batch>(b);
}

std::vector<Bytes> results_of(const ExecutionResult& r) {
  std::vector<Bytes> out;
  for (const auto& e : r.requests) out.push_back(e.result);
  return out;
}

Request named_put(std::uint32_t client, std::uint64_t id, const std::string& key,
                  const std::string& v) {
  return request(client, id, kv::encode_put(kv::Key::named(key), val(v)));
}

std::shared_ptr<const Batch> mixed_batch() {
  return make_batch({put_req(1, 1, 3, "three"), named_put(2, 1, "name", "value"),
                     cas_req(3, 1, 3, "three", "four"),
                     request(4, 1, kv::encode_get(kv::Key::index(3))),
                     put_req(1, 1, 5, "duplicate"), cas_req(5, 1, 7, "absent?", "x"),
                     request(6, 1, Bytes{0xff, 0x01})});
}

// The state hash recomputed from the whole state, not from incremental digests.
bool hash_from_scratch_matches(const StateMachine& m) {
  return snapshot_hash_valid(m.take_snapshot());
}

}  // namespace

TEST_CASE("executing one batch object in two state machines equals executing copies") {
  const auto batch = mixed_batch();
  auto a = kv_machine(), b = kv_machine(), separate = kv_machine();
  Effects out_a, out_b, out_c;
  const auto ra = a.execute(batch, View(0), 1, out_a);
  std::vector<std::size_t> stored;
  for (const auto& r : *batch) stored.push_back(r.digests.size());
  CHECK(stored[0] == 2);  // the reply and the kv entry
  CHECK(stored[3] == 1);  // a get writes nothing: the reply only
  // The last request also holds the batch's kv store hash and state hash.
  CHECK(stored[6] == 1 + 2);
  const auto rb = b.execute(batch, View(0), 1, out_b);
  for (std::size_t i = 0; i < batch->size(); ++i)
    CHECK((*batch)[i].digests.size() == stored[i]);  // the second machine found them all
  const auto rc = separate.execute(copy_of(*batch), View(0), 1, out_c);

  CHECK(results_of(ra) == results_of(rc));
  CHECK(results_of(rb) == results_of(rc));
  CHECK(ra.state_hash == rc.state_hash);
  CHECK(rb.state_hash == rc.state_hash);
  CHECK(a.encoded_snapshot() == separate.encoded_snapshot());
  CHECK(b.encoded_snapshot() == separate.encoded_snapshot());
  CHECK(hash_from_scratch_matches(a));
  CHECK(hash_from_scratch_matches(b));
}

TEST_CASE("a state machine whose result diverges computes its own digests") {
  // The get's results differ in their bytes only, not in their length.
  const auto batch = make_batch({cas_req(1, 1, 2, "old", "new"), put_req(2, 1, 4, "same"),
                                 request(3, 1, kv::encode_get(kv::Key::index(2)))});
  // `behind` and its twin hold a different value at key 2, so the cas fails there.
  auto ahead = kv_machine(), behind = kv_machine(), twin = kv_machine();
  Effects out;
  ahead.execute(make_batch({put_req(9, 1, 2, "old")}), View(0), 1, out);
  behind.execute(make_batch({put_req(9, 1, 2, "odd")}), View(0), 1, out);
  twin.execute(make_batch({put_req(9, 1, 2, "odd")}), View(0), 1, out);

  const auto r_ahead = ahead.execute(batch, View(0), 2, out);
  const auto r_behind = behind.execute(batch, View(0), 2, out);
  const auto r_twin = twin.execute(copy_of(*batch), View(0), 2, out);

  REQUIRE(r_ahead.requests[0].result != r_behind.requests[0].result);
  REQUIRE(r_ahead.requests[2].result.size() == r_behind.requests[2].result.size());
  REQUIRE(r_ahead.requests[2].result != r_behind.requests[2].result);
  CHECK(results_of(r_behind) == results_of(r_twin));
  CHECK(r_behind.state_hash == r_twin.state_hash);
  CHECK(r_ahead.state_hash != r_behind.state_hash);
  CHECK(behind.encoded_snapshot() == twin.encoded_snapshot());
  CHECK(hash_from_scratch_matches(ahead));
  CHECK(hash_from_scratch_matches(behind));
  // The cas: ahead stored its reply and entry, behind its own (different) reply.
  CHECK((*batch)[0].digests.size() == 3);
  // The common put: one reply and one entry, shared.
  CHECK((*batch)[1].digests.size() == 2);
  // Two replies of the same length, and ahead's kv store hash and state hash after the
  // batch (the last request carries them); behind's differ and find the memo full.
  CHECK((*batch)[2].digests.size() == 4);
}

TEST_CASE("a state machine at another position computes its own state hash for a shared batch") {
  const auto batch = make_batch({put_req(1, 1, 3, "three"), put_req(2, 1, 4, "four")});
  // `later` executed an empty batch first: the same state, one position further.
  auto first = kv_machine(), later = kv_machine(), twin = kv_machine();
  Effects out;
  later.execute(nullptr, View(0), 1, out);
  twin.execute(nullptr, View(0), 1, out);
  const auto r_first = first.execute(batch, View(0), 1, out);
  REQUIRE((*batch)[1].digests.size() == 4);  // reply, entry, kv store hash, state hash
  const auto r_later = later.execute(batch, View(0), 2, out);
  const auto r_twin = twin.execute(copy_of(*batch), View(0), 2, out);
  CHECK(r_later.state_hash == r_twin.state_hash);
  CHECK(r_later.state_hash != r_first.state_hash);
  CHECK(hash_from_scratch_matches(later));
  CHECK(hash_from_scratch_matches(first));
}

TEST_CASE("a copied request starts with no stored digests and compares equal") {
  const auto batch = make_batch({put_req(1, 1, 3, "three")});
  auto m = kv_machine();
  Effects out;
  m.execute(batch, View(0), 1, out);
  // The reply, the kv entry, and (the batch's last request) the kv store and state hashes.
  REQUIRE((*batch)[0].digests.size() == 4);
  Request copy = (*batch)[0];
  CHECK(copy.digests.size() == 0);
  CHECK(copy == (*batch)[0]);
}
