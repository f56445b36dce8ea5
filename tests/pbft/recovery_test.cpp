// Restart from durable storage: committed batches are never lost, the view survives, and
// a restarted replica never contradicts a pre-prepare it accepted before the crash.
#include <catch2/catch.hpp>

#include "pbft_test_util.hpp"

using namespace knhk;
using namespace knhk::pbft;
using namespace knhk::pbft::test;

namespace {
void restart(RecordingHost& h, const Keys& k, std::uint32_t id) {
  h.replace_replica(make(small_params(), id, k));
  h.clear_all();
  h.start();
}
}  // namespace

TEST_CASE("restart: committed batches and the stable checkpoint are recovered") {
  Keys k;
  RecordingHost h(make(small_params(), 1, k));
  h.start();
  for (std::uint64_t n = 1; n <= 6; ++n)
    drive_commit(h, k, 1, 4, View(0), Seq(n), {request(k, 1, n, "put k" + std::to_string(n))});
  Digest hash4 = sent<Checkpoint>(h.all()).at(0).state_hash;
  for (std::uint32_t who : {0u, 2u})
    h.deliver(NodeId(who), pbft::Message{signed_by(Checkpoint{Seq(4), hash4, NodeId(who), {}}, k)});
  auto before = h.replica().status();
  REQUIRE(before.committed == Seq(6));

  restart(h, k, 1);
  auto after = h.replica().status();
  REQUIRE(after.committed == Seq(6));
  REQUIRE(after.state_hash == before.state_hash);
  // It asks a peer for anything it missed while down.
  REQUIRE(sent<StateRequest>(h.last()).size() == 1);
  // It still serves its stable checkpoint to others (state transfer after restart).
  auto sr = signed_by(StateRequest{View(0), Seq(0), NodeId(3), {}}, k);
  auto resp = sent<StateResponse>(h.deliver(NodeId(3), pbft::Message{sr}));
  REQUIRE(resp.size() == 1);
  REQUIRE(resp[0].checkpoint.has_value());
  REQUIRE(resp[0].checkpoint->seq == Seq(4));
  // Executed requests keep their cached replies.
  auto cached = effects<ReplyEffect>(h.client_request(request(k, 1, 6, "put k6")));
  REQUIRE(cached.size() == 1);
}

TEST_CASE("restart: an accepted pre-prepare is remembered, so no conflicting prepare follows") {
  Keys k;
  RecordingHost h(make(small_params(), 2, k));
  h.start();
  auto a = pre_prepare(k, View(0), Seq(1), {request(k, 1, 1)}, 0);
  auto b = pre_prepare(k, View(0), Seq(1), {request(k, 1, 2)}, 0);
  REQUIRE(sent<Prepare>(h.deliver(NodeId(0), pbft::Message{a})).size() == 1);
  restart(h, k, 2);
  REQUIRE(sent<Prepare>(h.deliver(NodeId(0), pbft::Message{b})).empty());
  REQUIRE(rejected(h, "conflicting_pre_prepare") == 1);
  // And the prepared certificate survives too: prepared before the crash, in the P-set after.
  h.deliver(NodeId(3), pbft::Message{prepare(k, a, 3)});  // prepared now (own + 3)
  restart(h, k, 2);
  h.client_request(request(k, 9, 1));
  auto vcs = sent<ViewChange>(h.fire(PbftReplica::kViewChangeTimer));
  REQUIRE(vcs.size() == 1);
  REQUIRE(vcs[0].prepared.size() == 1);
  REQUIRE(vcs[0].prepared[0].pre_prepare == a);
}

TEST_CASE("restart during a view change: the view is kept and the view-change re-sent") {
  Keys k;
  RecordingHost h(make(small_params(), 2, k));
  h.start();
  h.client_request(request(k, 1, 1));
  h.fire(PbftReplica::kViewChangeTimer);
  REQUIRE(h.replica().status().view == View(1));
  restart(h, k, 2);
  REQUIRE(h.replica().status().view == View(1));
  auto vcs = sent<ViewChange>(h.last());
  REQUIRE(vcs.size() == 1);
  REQUIRE(vcs[0].new_view == View(1));
  // Messages of the old view are refused after the restart as before it.
  auto pp = pre_prepare(k, View(0), Seq(1), {request(k, 1, 1)}, 0);
  REQUIRE(sent<Prepare>(h.deliver(NodeId(0), pbft::Message{pp})).empty());
  REQUIRE(rejected(h, "old_view") == 1);
}

TEST_CASE("restart: stored prepares count only for the pre-prepare they match") {
  Keys k;
  RecordingHost h(make(small_params(), 2, k));
  h.start();
  auto a = pre_prepare(k, View(0), Seq(1), {request(k, 1, 1)}, 0);
  auto b = pre_prepare(k, View(0), Seq(1), {request(k, 1, 2)}, 0);
  h.deliver(NodeId(0), pbft::Message{a});
  h.deliver(NodeId(3), pbft::Message{prepare(k, a, 3)});  // prepared: own + 3
  REQUIRE(h.store.count("pbft/prepares/00000000000000000001") == 1);
  // A prepares record for another digest at that seq (as one left from an earlier view's
  // pre-prepare would be) must not make the logged pre-prepare look prepared.
  Writer w;
  encode(w, std::vector<Prepare>{prepare(k, b, 1), prepare(k, b, 3)});
  h.store["pbft/prepares/00000000000000000001"] = w.take();
  restart(h, k, 2);
  h.client_request(request(k, 9, 1));
  auto vcs = sent<ViewChange>(h.fire(PbftReplica::kViewChangeTimer));
  REQUIRE(vcs.size() == 1);
  REQUIRE(vcs[0].prepared.empty());
}

TEST_CASE("restart: a stored slot record above the high watermark is ignored") {
  // Not one the replica wrote (it accepts pre-prepares within its watermarks only): a
  // damaged store must neither be believed nor make the ring-shaped slot log grow to reach it.
  Keys k;
  RecordingHost h(make(small_params(), 2, k));
  h.start();
  const Seq far(std::uint64_t{1} << 60);
  Writer w;
  encode(w, pre_prepare(k, View(0), far, {request(k, 1, 1)}, 0));
  w.u8(0);  // no prepared certificate
  h.store[numbered_key("pbft/log/", far.value)] = w.take();
  restart(h, k, 2);
  REQUIRE(h.replica().status().committed == Seq(0));
  // The replica still takes the first slot of its window normally.
  auto a = pre_prepare(k, View(0), Seq(1), {request(k, 1, 2)}, 0);
  REQUIRE(sent<Prepare>(h.deliver(NodeId(0), pbft::Message{a})).size() == 1);
}
