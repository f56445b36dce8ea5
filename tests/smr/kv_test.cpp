// Semantics of the key-value application and its operation/result encodings.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "protocols/common/codec.hpp"
#include "protocols/smr/kv.hpp"

using namespace knhk;
using namespace knhk::smr;

namespace {
Bytes val(const std::string& s) {
  return Bytes(s.begin(), s.end());
}
kv::Result run(Application& app, const Bytes& op) {
  auto r = kv::decode_result(app.apply(op));
  REQUIRE(r);
  return *r;
}
}  // namespace

TEST_CASE("kv: get of an absent key is not_found, put then get returns the value") {
  auto app = make_application(AppKind::kv, 10);
  auto k = kv::Key::index(3);
  CHECK(run(*app, kv::encode_get(k)).status == kv::Status::not_found);
  CHECK(run(*app, kv::encode_put(k, val("a"))).status == kv::Status::ok);
  auto got = run(*app, kv::encode_get(k));
  CHECK(got.status == kv::Status::value);
  CHECK(got.value == val("a"));
  CHECK(run(*app, kv::encode_get(kv::Key::index(4))).status == kv::Status::not_found);
}

TEST_CASE("kv: named keys are separate from index keys") {
  auto app = make_application(AppKind::kv, 10);
  run(*app, kv::encode_put(kv::Key::named("x"), val("1")));
  CHECK(run(*app, kv::encode_get(kv::Key::named("x"))).value == val("1"));
  CHECK(run(*app, kv::encode_get(kv::Key::named("y"))).status == kv::Status::not_found);
  CHECK(run(*app, kv::encode_get(kv::Key::index(0))).status == kv::Status::not_found);
}

TEST_CASE("kv: cas succeeds only on the expected value and reports the current one") {
  auto app = make_application(AppKind::kv, 10);
  auto k = kv::Key::index(1);
  // Expect-absent on an absent key inserts.
  CHECK(run(*app, kv::encode_cas(k, std::nullopt, val("a"))).status == kv::Status::ok);
  auto failed = run(*app, kv::encode_cas(k, std::nullopt, val("b")));
  CHECK(failed.status == kv::Status::cas_failed);
  CHECK(failed.value == val("a"));
  failed = run(*app, kv::encode_cas(k, val("z"), val("b")));
  CHECK(failed.status == kv::Status::cas_failed);
  CHECK(failed.value == val("a"));
  CHECK(run(*app, kv::encode_cas(k, val("a"), val("b"))).status == kv::Status::ok);
  CHECK(run(*app, kv::encode_get(k)).value == val("b"));
  // A cas expecting a value on an absent key fails and says the key is absent.
  auto absent = run(*app, kv::encode_cas(kv::Key::index(2), val("a"), val("b")));
  CHECK(absent.status == kv::Status::cas_failed);
  CHECK(!absent.value);
}

TEST_CASE("kv: malformed operations and keys outside the key space give error results") {
  auto app = make_application(AppKind::kv, 10);
  auto before = app->state_hash();
  CHECK(run(*app, Bytes{}).status == kv::Status::error);
  CHECK(run(*app, Bytes{9, 0, 0}).status == kv::Status::error);
  auto put = kv::encode_put(kv::Key::index(1), val("v"));
  put.push_back(0);  // trailing byte
  CHECK(run(*app, put).status == kv::Status::error);
  put.resize(put.size() - 3);  // truncated
  CHECK(run(*app, put).status == kv::Status::error);
  CHECK(run(*app, kv::encode_put(kv::Key::index(10), val("v"))).status == kv::Status::error);
  CHECK(run(*app, kv::encode_put(kv::Key::named(std::string(65, 'x')), val("v"))).status ==
        kv::Status::error);
  CHECK(run(*app, kv::encode_put(kv::Key::index(1), Bytes(kv::kMaxValueBytes + 1, 1))).status ==
        kv::Status::error);
  CHECK(app->state_hash() == before);
}

TEST_CASE("kv: the state hash depends on content, not on the order of writes") {
  auto a = make_application(AppKind::kv, 10);
  auto b = make_application(AppKind::kv, 10);
  a->apply(kv::encode_put(kv::Key::index(1), val("x")));
  a->apply(kv::encode_put(kv::Key::index(2), val("y")));
  b->apply(kv::encode_put(kv::Key::index(2), val("y")));
  b->apply(kv::encode_put(kv::Key::index(1), val("x")));
  CHECK(a->state_hash() == b->state_hash());
  CHECK(a->state_hash() == snapshot_state_hash(a->snapshot()));
  b->apply(kv::encode_put(kv::Key::index(1), val("z")));
  CHECK(a->state_hash() != b->state_hash());
  // The hash is kept incrementally: after an overwrite it still equals the hash
  // recomputed from the snapshot, and writing the old value back restores it.
  CHECK(b->state_hash() == snapshot_state_hash(b->snapshot()));
  b->apply(kv::encode_put(kv::Key::index(1), val("x")));
  CHECK(a->state_hash() == b->state_hash());
  b->apply(kv::encode_cas(kv::Key::index(3), std::nullopt, val("w")));
  CHECK(b->state_hash() == snapshot_state_hash(b->snapshot()));
  CHECK(a->state_hash() != b->state_hash());
}

TEST_CASE("kv: snapshot/restore round-trips and malformed snapshots are rejected") {
  auto a = make_application(AppKind::kv, 10);
  a->apply(kv::encode_put(kv::Key::index(1), val("x")));
  a->apply(kv::encode_put(kv::Key::named("n"), val("y")));
  auto snap = a->snapshot();
  auto b = make_application(AppKind::kv, 10);
  REQUIRE(b->restore(snap));
  CHECK(b->state_hash() == a->state_hash());
  CHECK(run(*b, kv::encode_get(kv::Key::named("n"))).value == val("y"));

  auto c = make_application(AppKind::kv, 10);
  auto empty_hash = c->state_hash();
  auto trailing = snap;
  trailing.push_back(0);
  CHECK_FALSE(c->restore(trailing));
  CHECK_FALSE(c->restore(Bytes(snap.begin(), snap.end() - 1)));
  CHECK_FALSE(c->restore(Bytes{}));
  CHECK_FALSE(make_application(AppKind::kv, 11)->restore(snap));  // another key space
  // Two entries with the same key (not strictly sorted) are not canonical.
  auto dup = make_application(AppKind::kv, 10);
  dup->apply(kv::encode_put(kv::Key::index(1), val("x")));
  auto one = dup->snapshot();  // tag, key space, count=1, entry
  // (push_back, not insert of a braced list: GCC 12 warns wrongly about the latter.)
  Bytes two(one.begin(), one.begin() + 5);
  for (std::uint8_t b : {2, 0, 0, 0}) two.push_back(b);
  two.insert(two.end(), one.begin() + 9, one.end());
  two.insert(two.end(), one.begin() + 9, one.end());
  CHECK_FALSE(c->restore(two));
  CHECK(c->state_hash() == empty_hash);
}

TEST_CASE("kv: operation and result encodings round-trip") {
  rc::prop("decode(encode(op)) == op", [] {
    kv::Op op;
    op.kind = *rc::gen::element(kv::OpKind::put, kv::OpKind::get, kv::OpKind::cas);
    if (*rc::gen::arbitrary<bool>()) {
      op.key = kv::Key::index(*rc::gen::arbitrary<std::uint32_t>());
    } else {
      auto name = *rc::gen::nonEmpty(rc::gen::string<std::string>());
      op.key = kv::Key::named(name.substr(0, kv::kMaxNameBytes));
    }
    if (op.kind != kv::OpKind::get) op.value = *rc::gen::arbitrary<Bytes>();
    if (op.kind == kv::OpKind::cas && *rc::gen::arbitrary<bool>())
      op.expected = *rc::gen::arbitrary<Bytes>();
    RC_ASSERT(kv::decode_op(kv::encode_op(op)) == op);
  });
  kv::Result r{kv::Status::cas_failed, std::nullopt, {}};
  CHECK(kv::decode_result(kv::encode_result(r)) == r);
  r = {kv::Status::error, std::nullopt, "why"};
  CHECK(kv::decode_result(kv::encode_result(r)) == r);
  CHECK_FALSE(kv::decode_result(Bytes{7}));
}

namespace {

// The store as the documentation defines it, driven by decode_op alone: what apply() must
// answer whichever way it reads the operation.
kv::Result model_apply(std::map<kv::Key, Bytes>& store, std::uint32_t keys, const Bytes& bytes) {
  auto op = kv::decode_op(bytes);
  if (!op) return kv::Result{kv::Status::error, std::nullopt, "malformed operation"};
  if (const auto* i = std::get_if<std::uint32_t>(&op->key.id); i && *i >= keys)
    return kv::Result{kv::Status::error, std::nullopt, "key outside key space"};
  auto it = store.find(op->key);
  const Bytes* current = it != store.end() ? &it->second : nullptr;
  switch (op->kind) {
    case kv::OpKind::get:
      if (!current) return kv::Result{kv::Status::not_found, std::nullopt, {}};
      return kv::Result{kv::Status::value, *current, {}};
    case kv::OpKind::cas:
      if (current ? !(op->expected && *op->expected == *current) : op->expected.has_value())
        return kv::Result{
            kv::Status::cas_failed, current ? std::optional<Bytes>(*current) : std::nullopt, {}};
      [[fallthrough]];
    case kv::OpKind::put:
      store[op->key] = op->value;
      return kv::Result{kv::Status::ok, std::nullopt, {}};
  }
  return {};
}

// Well-formed operations, and the same bytes cut short, extended or with a forged length
// field: apply() reads puts, gets and cas of integer keys in place and everything else
// through the general decoder, and the two must never disagree at the boundary.
rc::Gen<Bytes> operation_bytes(std::uint32_t keys) {
  const auto key =
      rc::gen::oneOf(rc::gen::map(rc::gen::inRange<std::uint32_t>(0, keys + 2), kv::Key::index),
                     rc::gen::map(rc::gen::element<std::string>("a", "bb"), kv::Key::named));
  const auto value = rc::gen::container<Bytes>(rc::gen::inRange<std::uint8_t>(0, 3));
  const auto op =
      rc::gen::oneOf(rc::gen::apply(kv::encode_put, key, value), rc::gen::map(key, kv::encode_get),
                     rc::gen::apply(
                         [](const kv::Key& k, bool has, const Bytes& e, const Bytes& v) {
                           return kv::encode_cas(k, has ? std::optional(e) : std::nullopt, v);
                         },
                         key, rc::gen::arbitrary<bool>(), value, value));
  return rc::gen::apply(
      [](Bytes b, int mutation, std::uint8_t x) {
        switch (mutation) {
          case 1:
            if (!b.empty()) b.pop_back();
            break;
          case 2:
            b.push_back(x);
            break;
          case 3:
            if (b.size() > 6) b[6] = x;  // a put's length field, a cas's has_expected
            break;
          case 4:
            if (b.size() > 1) b[1] = x % 3;  // the key kind
            break;
          case 5:
            if (b.size() > 7) b[7] = x;  // a cas's first length field, a put's value
            break;
          case 6:  // a cas's last length field (before a value of up to 2 bytes)
            if (b.size() > 11) b[b.size() - 4 - (x % 3)] = x;
            break;
          default:
            break;
        }
        return b;
      },
      op, rc::gen::inRange(0, 9), rc::gen::arbitrary<std::uint8_t>());
}

}  // namespace

TEST_CASE("kv: apply answers every operation, well-formed or not, as the documented model") {
  rc::prop("results and state equal the model's", [] {
    constexpr std::uint32_t kKeys = 4;
    const auto ops = *rc::gen::container<std::vector<Bytes>>(operation_bytes(kKeys));
    auto app = make_application(AppKind::kv, kKeys);
    std::map<kv::Key, Bytes> model;
    for (const auto& op : ops)
      RC_ASSERT(app->apply(op) == kv::encode_result(model_apply(model, kKeys, op)));
    auto mirror = make_application(AppKind::kv, kKeys);
    for (const auto& [k, v] : model) mirror->apply(kv::encode_put(k, v));
    RC_ASSERT(app->snapshot() == mirror->snapshot());
    RC_ASSERT(app->state_hash() == mirror->state_hash());
  });
}

namespace {

// The kv snapshot layout written from the model, field by field: the canonical order of
// the store (every index before every name, indexes by value) is std::map's over Key.
Bytes model_snapshot(const std::map<kv::Key, Bytes>& store, std::uint32_t keys) {
  Writer w;
  w.u8(0x4b);  // 'K'
  w.u32(keys);
  w.u32(static_cast<std::uint32_t>(store.size()));
  for (const auto& [k, v] : store) {
    w.raw(kv::encode_key(k));
    w.bytes(v);
  }
  return w.take();
}

}  // namespace

TEST_CASE("kv: keys on both sides of the by-index table's end behave as one ordered store") {
  // Integer keys below 2^14 are kept by index, the others (and names) in a map: the store's
  // results, snapshot and hash must not show where a key is kept, nor must a restore.
  rc::prop("results, snapshot and hash equal the model's across the boundary", [] {
    constexpr std::uint32_t kKeys = (1u << 14) + 8;
    const auto key = rc::gen::oneOf(
        rc::gen::map(rc::gen::element<std::uint32_t>(0, 1, 7, (1u << 14) - 1, 1u << 14,
                                                     (1u << 14) + 1, kKeys - 1, kKeys),
                     kv::Key::index),
        rc::gen::map(rc::gen::element<std::string>("a", "bb"), kv::Key::named));
    const auto value = rc::gen::container<Bytes>(rc::gen::inRange<std::uint8_t>(0, 3));
    const auto op = rc::gen::oneOf(
        rc::gen::apply(kv::encode_put, key, value), rc::gen::map(key, kv::encode_get),
        rc::gen::apply(
            [](const kv::Key& k, bool has, const Bytes& e, const Bytes& v) {
              return kv::encode_cas(k, has ? std::optional(e) : std::nullopt, v);
            },
            key, rc::gen::arbitrary<bool>(), value, value));
    const auto ops = *rc::gen::container<std::vector<Bytes>>(op);
    const auto restore_at = *rc::gen::inRange<std::size_t>(0, ops.size() + 1);

    auto app = make_application(AppKind::kv, kKeys);
    std::map<kv::Key, Bytes> model;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (i == restore_at) {  // continue in a fresh application restored from the snapshot
        auto restored = make_application(AppKind::kv, kKeys);
        RC_ASSERT(restored->restore(app->snapshot()));
        RC_ASSERT(restored->state_hash() == app->state_hash());
        app = std::move(restored);
      }
      RC_ASSERT(app->apply(ops[i]) == kv::encode_result(model_apply(model, kKeys, ops[i])));
    }
    const Bytes snapshot = app->snapshot();
    RC_ASSERT(snapshot == model_snapshot(model, kKeys));
    RC_ASSERT(app->state_hash() == snapshot_state_hash(snapshot));
  });
}
