// Property: a replica that crashes at any point (even between the durable writes of one
// step) and recovers from its store reaches exactly the live machine's state hash at
// the last position whose log entry was durable, and never loses a commit it announced.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "protocols/smr/kv.hpp"
#include "tests/smr/smr_test_util.hpp"

using namespace knhk;
using namespace knhk::smr;
using knhk::smr::testing::apply_effects;

namespace {

// Random kv requests over few clients and keys, with repeated and stale request ids.
rc::Gen<Request> gen_request() {
  return rc::gen::apply(
      [](std::uint32_t client, std::uint64_t id, int kind, std::uint32_t key, std::uint8_t v,
         std::uint8_t e) {
        auto k = kv::Key::index(key);
        Bytes op = kind == 0   ? kv::encode_put(k, Bytes{v})
                   : kind == 1 ? kv::encode_get(k)
                   : kind == 2 ? kv::encode_cas(k, Bytes{e}, Bytes{v})
                               : Bytes{0xff, v};  // malformed
        return Request{ClientId(client), RequestId(id), op, {}, {}};
      },
      rc::gen::inRange<std::uint32_t>(0, 4), rc::gen::inRange<std::uint64_t>(0, 12),
      rc::gen::inRange(0, 4), rc::gen::inRange<std::uint32_t>(0, 6),
      rc::gen::inRange<std::uint8_t>(0, 4), rc::gen::inRange<std::uint8_t>(0, 4));
}

rc::Gen<Batch> gen_batch() {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, 5),
                         [](std::size_t n) { return rc::gen::container<Batch>(n, gen_request()); });
}

struct Step {
  Seq position;
  Digest hash;
};

}  // namespace

TEST_CASE("recovery from the store matches the live machine at every crash point") {
  rc::prop("recover(store at crash) == live state at last durable position", [] {
    auto interval = *rc::gen::inRange<std::uint64_t>(0, 6);
    auto batches = *rc::gen::container<std::vector<Batch>>(gen_batch());
    RC_PRE(!batches.empty());
    auto crash_batch = *rc::gen::inRange<std::size_t>(0, batches.size());

    StateMachine live(make_application(AppKind::kv, 6), interval);
    DurableStore store;
    std::vector<Step> history{{Seq(0), live.state_hash()}};
    for (std::size_t i = 0; i < batches.size(); ++i) {
      Effects out;
      auto batch = std::make_shared<const Batch>(batches[i]);
      live.execute(batch, View(0), i + 1, out);
      history.push_back({live.last_position(), live.state_hash()});
      if (i != crash_batch) {
        apply_effects(out, store);
        StateMachine recovered(make_application(AppKind::kv, 6), interval);
        RC_ASSERT(recovered.recover(store).ok);
        RC_ASSERT(recovered.last_position() == live.last_position());
        RC_ASSERT(recovered.state_hash() == live.state_hash());
        continue;
      }
      // Crash after a random prefix of this step's effects reached the disk.
      auto cut = *rc::gen::inRange<std::size_t>(0, out.list.size() + 1);
      apply_effects(out, store, cut);
      bool commit_announced = false;
      for (std::size_t e = 0; e < cut; ++e)
        commit_announced |= std::holds_alternative<CommitEffect>(out.list[e]);
      StateMachine recovered(make_application(AppKind::kv, 6), interval);
      RC_ASSERT(recovered.recover(store).ok);
      auto pos = recovered.last_position();
      RC_ASSERT(pos.value + 1 >= live.last_position().value);
      if (commit_announced) RC_ASSERT(pos == live.last_position());
      RC_ASSERT(recovered.state_hash() == history[pos.value].hash);
      return;
    }
  });
}

TEST_CASE("restarting twice from the same store gives the same machine") {
  rc::prop("recover is deterministic and idempotent", [] {
    auto batches = *rc::gen::container<std::vector<Batch>>(gen_batch());
    auto interval = *rc::gen::inRange<std::uint64_t>(1, 4);
    StateMachine live(make_application(AppKind::kv, 6), interval);
    DurableStore store;
    for (std::size_t i = 0; i < batches.size(); ++i) {
      Effects out;
      live.execute(std::make_shared<const Batch>(batches[i]), View(0), i, out);
      apply_effects(out, store);
    }
    StateMachine a(make_application(AppKind::kv, 6), interval);
    a.recover(store);
    a.recover(store);
    StateMachine b(make_application(AppKind::kv, 6), interval);
    b.recover(store);
    RC_ASSERT(a.state_hash() == b.state_hash());
    RC_ASSERT(a.take_snapshot().app_state == live.take_snapshot().app_state);
  });
}
