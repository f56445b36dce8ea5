// Checkpoints, garbage collection, watermarks (OSDI'99 §4.3), StateMismatch and state
// transfer (TOCS'02 §6.2).
#include <algorithm>
#include <catch2/catch.hpp>

#include "pbft_test_util.hpp"

using namespace knhk;
using namespace knhk::pbft;
using namespace knhk::pbft::test;

namespace {

// Backup 1 of a 4-replica cluster executes seqs 1..last (K = 4, L = 8).
RecordingHost backup_with_executed(const Keys& k, std::uint64_t last) {
  RecordingHost h(make(small_params(), 1, k));
  h.start();
  for (std::uint64_t n = 1; n <= last; ++n)
    drive_commit(h, k, 1, 4, View(0), Seq(n), {request(k, 1, n, "put k" + std::to_string(n))});
  return h;
}

Checkpoint checkpoint_from(const Keys& k, std::uint32_t who, Seq n, Digest h) {
  return signed_by(Checkpoint{n, h, NodeId(who), {}}, k);
}

}  // namespace

TEST_CASE("§4.3 a checkpoint every K, stable with a quorum, moves the watermarks and GCs the log") {
  Keys k;
  RecordingHost h = backup_with_executed(k, 3);
  REQUIRE(h.replica().status().committed == Seq(3));
  drive_commit(h, k, 1, 4, View(0), Seq(4), {request(k, 1, 4)});
  auto cps = sent<Checkpoint>(h.all());
  REQUIRE(cps.size() == 1);
  REQUIRE(cps[0].seq == Seq(4));
  Digest hash = cps[0].state_hash;
  REQUIRE(hash == h.replica().status().state_hash);

  // Before the checkpoint is stable the window is (0, 8]: seq 9 is outside.
  auto pp9 = pre_prepare(k, View(0), Seq(9), {request(k, 2, 1)}, 0);
  REQUIRE(sent<Prepare>(h.deliver(NodeId(0), pbft::Message{pp9})).empty());
  REQUIRE(rejected(h, "outside_watermarks") == 1);

  // One more matching checkpoint is not a quorum; a different hash does not count.
  REQUIRE_FALSE(has_trace(h.deliver(NodeId(0), pbft::Message{checkpoint_from(k, 0, Seq(4), hash)}),
                          "checkpoint_stable"));
  REQUIRE_FALSE(has_trace(
      h.deliver(NodeId(3), pbft::Message{checkpoint_from(k, 3, Seq(4), blake2b(std::string("x")))}),
      "checkpoint_stable"));
  auto& stable = h.deliver(NodeId(2), pbft::Message{checkpoint_from(k, 2, Seq(4), hash)});
  REQUIRE(has_trace(stable, "checkpoint_stable"));
  // The log up to 4 is erased from durable storage, the stable checkpoint is stored.
  std::set<std::string> erased;
  for (const auto& p : effects<PersistEffect>(stable))
    if (p.erase) erased.insert(p.key);
  // Each of slots 1..4 had a pre-prepare record and a prepares record.
  REQUIRE(erased.size() == 8);
  REQUIRE(std::count_if(erased.begin(), erased.end(), [](const std::string& key) {
            return key.rfind("pbft/prepares/", 0) == 0;
          }) == 4);
  REQUIRE(h.store.count("pbft/checkpoint") == 1);
  for (const auto& [key, value] : h.store) {
    REQUIRE(key.rfind("pbft/log/", 0) != 0);
    REQUIRE(key.rfind("pbft/prepares/", 0) != 0);
  }

  // Now the window is (4, 12]: seq 9 is accepted, messages for seq 3 are too old.
  REQUIRE(sent<Prepare>(h.deliver(NodeId(0), pbft::Message{pp9})).size() == 1);
  auto old = pre_prepare(k, View(0), Seq(3), {request(k, 1, 3)}, 0);
  h.deliver(NodeId(2), pbft::Message{prepare(k, old, 2)});
  REQUIRE(rejected(h, "outside_watermarks") == 2);
}

TEST_CASE("a quorum checkpoint hash that differs from ours is a StateMismatch: roll back, fetch") {
  Keys k;
  RecordingHost h = backup_with_executed(k, 4);
  Digest wrong = blake2b(std::string("the quorum's state"));
  h.deliver(NodeId(0), pbft::Message{checkpoint_from(k, 0, Seq(4), wrong)});
  h.deliver(NodeId(2), pbft::Message{checkpoint_from(k, 2, Seq(4), wrong)});
  auto& e = h.deliver(NodeId(3), pbft::Message{checkpoint_from(k, 3, Seq(4), wrong)});
  REQUIRE(has_trace(e, "state_mismatch"));
  REQUIRE(rejected(h, "state_mismatch") == 1);
  REQUIRE(h.replica().status().committed == Seq(0));  // rolled back to the genesis checkpoint
  REQUIRE(sent<StateRequest>(e).size() == 1);
}

TEST_CASE("state transfer: a replica behind a stable checkpoint catches up, verified") {
  Keys k;
  // Replica 1 executes 6 batches with a stable checkpoint at 4.
  RecordingHost ahead = backup_with_executed(k, 6);
  Digest hash4 = sent<Checkpoint>(ahead.all()).at(0).state_hash;
  ahead.deliver(NodeId(0), pbft::Message{checkpoint_from(k, 0, Seq(4), hash4)});
  ahead.deliver(NodeId(2), pbft::Message{checkpoint_from(k, 2, Seq(4), hash4)});
  REQUIRE(ahead.replica().status().committed == Seq(6));

  // Replica 3 slept through it all; its request reaches replica 1.
  RecordingHost behind(make(small_params(), 3, k));
  behind.start();
  auto sr = signed_by(StateRequest{View(0), Seq(0), NodeId(3), {}}, k);
  auto responses = sent<StateResponse>(ahead.deliver(NodeId(3), pbft::Message{sr}));
  REQUIRE(responses.size() == 1);
  auto resp = responses[0];
  REQUIRE(resp.checkpoint.has_value());
  REQUIRE(resp.checkpoint->seq == Seq(4));
  REQUIRE(resp.entries.size() == 2);  // seqs 5 and 6 with their commit certificates

  SECTION("a genuine response installs the snapshot and replays the committed batches") {
    auto& e = behind.deliver(NodeId(1), pbft::Message{resp});
    REQUIRE(behind.replica().status().committed == Seq(6));
    REQUIRE(behind.replica().status().state_hash == ahead.replica().status().state_hash);
    REQUIRE(effects<CommitEffect>(e).size() == 2);
    REQUIRE(has_trace(e, "state_transfer"));
  }
  SECTION("a tampered snapshot is rejected") {
    resp.checkpoint->snapshot.back() ^= 1;
    resp = signed_by(resp, k);
    behind.deliver(NodeId(1), pbft::Message{resp});
    REQUIRE(behind.replica().status().committed == Seq(0));
    REQUIRE(rejected(behind, "bad_state_transfer") == 1);
  }
  SECTION("a commit certificate short of a quorum is rejected") {
    resp.checkpoint.reset();
    resp.entries.clear();
    RecordingHost fresh = backup_with_executed(k, 0);
    // Entries must start right after what the requester executed: forge seq 1 with 2 commits.
    auto pp = pre_prepare(k, View(0), Seq(1), {request(k, 1, 1)}, 0);
    resp.entries.push_back(CommittedEntry{pp, {commit(k, pp, 0), commit(k, pp, 2)}});
    resp.replica = NodeId(2);
    resp = signed_by(resp, k);
    fresh.deliver(NodeId(2), pbft::Message{resp});
    REQUIRE(fresh.replica().status().committed == Seq(0));
    REQUIRE(rejected(fresh, "bad_state_transfer") == 1);
  }
}

TEST_CASE(
    "an old checkpoint is answered with the certificate, never with a checkpoint (no storm)") {
  Keys k;
  RecordingHost h = backup_with_executed(k, 4);
  Digest hash4 = sent<Checkpoint>(h.all()).at(0).state_hash;
  h.deliver(NodeId(0), pbft::Message{checkpoint_from(k, 0, Seq(4), hash4)});
  h.deliver(NodeId(2), pbft::Message{checkpoint_from(k, 2, Seq(4), hash4)});
  // Replica 3 retransmits its checkpoint for 4 (ours is stable already).
  auto& e = h.deliver(NodeId(3), pbft::Message{checkpoint_from(k, 3, Seq(4), hash4)});
  REQUIRE(sent<Checkpoint>(e).empty());
  auto answers = sent<StateResponse>(e);
  REQUIRE(answers.size() == 1);
  REQUIRE(answers[0].checkpoint.has_value());
  REQUIRE(answers[0].checkpoint->certificate.size() == 3);
  REQUIRE(answers[0].checkpoint->snapshot.empty());

  // The lagging replica 3 uses it to make its own checkpoint stable.
  RecordingHost lag(make(small_params(), 3, k));
  lag.start();
  for (std::uint64_t n = 1; n <= 4; ++n)
    drive_commit(lag, k, 3, 4, View(0), Seq(n), {request(k, 1, n, "put k" + std::to_string(n))});
  REQUIRE_FALSE(has_trace(lag.all(), "checkpoint_stable"));
  REQUIRE(has_trace(lag.deliver(NodeId(1), pbft::Message{answers[0]}), "checkpoint_stable"));
}
