// Normal-case operation (OSDI'99 §4.2) message by message with the recording host.
#include <catch2/catch.hpp>

#include "pbft_test_util.hpp"

using namespace knhk;
using namespace knhk::pbft;
using namespace knhk::pbft::test;

namespace {

std::size_t index_of_first_broadcast(const std::vector<Effect>& e) {
  for (std::size_t i = 0; i < e.size(); ++i)
    if (std::holds_alternative<BroadcastEffect>(e[i])) return i;
  return e.size();
}
std::size_t index_of_persist(const std::vector<Effect>& e, const std::string& prefix) {
  for (std::size_t i = 0; i < e.size(); ++i)
    if (auto* p = std::get_if<PersistEffect>(&e[i]); p && p->key.rfind(prefix, 0) == 0) return i;
  return e.size();
}

}  // namespace

TEST_CASE(
    "§4.2 primary: request -> PRE-PREPARE, 2f prepares -> COMMIT, quorum commits -> execute") {
  Keys k;
  RecordingHost h(make(small_params(), 0, k));
  h.start();
  auto req = request(k, 1, 1, "put x 1");
  auto& e1 = h.client_request(req);
  auto pps = sent<PrePrepare>(e1);
  REQUIRE(pps.size() == 1);
  const auto pp = pps[0];
  REQUIRE((pp.view == View(0) && pp.seq == Seq(1) && pp.replica == NodeId(0)));
  REQUIRE(pp.batch == Batch{req});
  REQUIRE(pp.digest == batch_digest(pp.batch));
  REQUIRE(verify(pp, *k.verifier()));
  // Write-ahead: the accepted pre-prepare is durable before it is sent.
  REQUIRE(index_of_persist(e1, "pbft/log/") < index_of_first_broadcast(e1));
  REQUIRE(h.replica().status().is_leader);

  REQUIRE(sent<Commit>(h.deliver(NodeId(1), pbft::Message{prepare(k, pp, 1)})).empty());
  auto& e2 = h.deliver(NodeId(2), pbft::Message{prepare(k, pp, 2)});
  auto commits = sent<Commit>(e2);
  REQUIRE(commits.size() == 1);
  REQUIRE((commits[0].seq == Seq(1) && commits[0].digest == pp.digest));

  REQUIRE(effects<CommitEffect>(h.deliver(NodeId(1), pbft::Message{commit(k, pp, 1)})).empty());
  auto& e3 = h.deliver(NodeId(3), pbft::Message{commit(k, pp, 3)});
  auto done = effects<CommitEffect>(e3);
  REQUIRE(done.size() == 1);
  REQUIRE((done[0].position == Seq(1) && done[0].slot == 1 && done[0].batch_digest == pp.digest));
  auto replies = effects<ReplyEffect>(e3);
  REQUIRE(replies.size() == 1);
  REQUIRE((replies[0].client == ClientId(1) && replies[0].reply->id == RequestId(1)));
  REQUIRE(verify_reply(*replies[0].reply, *k.verifier()));
  REQUIRE(h.replica().status().committed == Seq(1));
}

TEST_CASE("§4.2 backup: PRE-PREPARE -> PREPARE -> prepared -> COMMIT -> committed-local") {
  Keys k;
  RecordingHost h(make(small_params(), 1, k));
  h.start();
  auto pp = pre_prepare(k, View(0), Seq(1), {request(k, 1, 1)}, 0);
  auto prepares = sent<Prepare>(h.deliver(NodeId(0), pbft::Message{pp}));
  REQUIRE(prepares.size() == 1);
  REQUIRE((prepares[0].replica == NodeId(1) && prepares[0].digest == pp.digest));
  REQUIRE(sent<Commit>(h.deliver(NodeId(2), pbft::Message{prepare(k, pp, 2)})).size() == 1);
  REQUIRE(effects<CommitEffect>(h.deliver(NodeId(0), pbft::Message{commit(k, pp, 0)})).empty());
  auto& e = h.deliver(NodeId(2), pbft::Message{commit(k, pp, 2)});
  REQUIRE(effects<CommitEffect>(e).size() == 1);
  REQUIRE(effects<ReplyEffect>(e).size() == 1);
  REQUIRE(h.replica().status().committed == Seq(1));
}

TEST_CASE("quorum counting ignores duplicates, bad signatures, relays and other digests") {
  Keys k;
  // At the primary, prepared needs 2f = 2 prepares from distinct backups.
  RecordingHost h(make(small_params(), 0, k));
  h.start();
  auto pp = sent<PrePrepare>(h.client_request(request(k, 1, 1))).at(0);
  auto p1 = prepare(k, pp, 1);
  REQUIRE(sent<Commit>(h.deliver(NodeId(1), pbft::Message{p1})).empty());
  // The same prepare twice counts once.
  REQUIRE(sent<Commit>(h.deliver(NodeId(1), pbft::Message{p1})).empty());
  REQUIRE(rejected(h, "duplicate") == 1);
  // A prepare claiming to be from 2 but signed with 1's key: rejected, and evidence.
  Prepare forged{pp.view, pp.seq, pp.digest, NodeId(2), {}};
  sign(forged, *k.replica(1));
  auto& bad = h.deliver(NodeId(2), pbft::Message{forged});
  REQUIRE(sent<Commit>(bad).empty());
  REQUIRE(rejected(h, "bad_signature") == 1);
  auto ev = effects<EvidenceEffect>(bad);
  REQUIRE(ev.size() == 1);
  REQUIRE((ev[0].culprit == NodeId(2) && ev[0].kind == EvidenceEffect::Kind::invalid_signature));
  // A message from 1 relayed over 3's link is not accepted either.
  REQUIRE(sent<Commit>(h.deliver(NodeId(3), pbft::Message{p1})).empty());
  REQUIRE(rejected(h, "sender_mismatch") == 1);
  // A prepare for another digest does not match the pre-prepare.
  auto other_digest = blake2b(std::string("x"));
  auto p3x = signed_by(Prepare{pp.view, pp.seq, other_digest, NodeId(3), {}}, k);
  REQUIRE(sent<Commit>(h.deliver(NodeId(3), pbft::Message{p3x})).empty());
  // Now a real prepare from 2: prepared, COMMIT goes out.
  REQUIRE(sent<Commit>(h.deliver(NodeId(2), pbft::Message{prepare(k, pp, 2)})).size() == 1);

  // Commits: own + 1 (twice) + 3 for another digest = still not a quorum of 3.
  h.deliver(NodeId(1), pbft::Message{commit(k, pp, 1)});
  REQUIRE(effects<CommitEffect>(h.deliver(NodeId(1), pbft::Message{commit(k, pp, 1)})).empty());
  auto c3x = signed_by(Commit{pp.view, pp.seq, other_digest, NodeId(3), {}}, k);
  REQUIRE(effects<CommitEffect>(h.deliver(NodeId(3), pbft::Message{c3x})).empty());
  REQUIRE(h.replica().status().committed == Seq(0));
  REQUIRE(effects<CommitEffect>(h.deliver(NodeId(2), pbft::Message{commit(k, pp, 2)})).size() == 1);
}

TEST_CASE("a prepare from the primary does not count") {
  Keys k;
  auto p = small_params(7);  // 2f = 4 prepares
  RecordingHost h(make(p, 1, k));
  h.start();
  auto pp = pre_prepare(k, View(0), Seq(1), {request(k, 1, 1)}, 0);
  h.deliver(NodeId(0), pbft::Message{pp});  // own prepare: 1
  h.deliver(NodeId(2), pbft::Message{prepare(k, pp, 2)});
  h.deliver(NodeId(3), pbft::Message{prepare(k, pp, 3)});
  REQUIRE(sent<Commit>(h.deliver(NodeId(0), pbft::Message{prepare(k, pp, 0)})).empty());
  REQUIRE(rejected(h, "prepare_from_primary") == 1);
  REQUIRE(sent<Commit>(h.deliver(NodeId(4), pbft::Message{prepare(k, pp, 4)})).size() == 1);
}

TEST_CASE("two signed pre-prepares for one (view, seq) are evidence of equivocation") {
  Keys k;
  RecordingHost h(make(small_params(), 2, k));
  h.start();
  auto a = pre_prepare(k, View(0), Seq(1), {request(k, 1, 1)}, 0);
  auto b = pre_prepare(k, View(0), Seq(1), {request(k, 1, 2)}, 0);
  REQUIRE(sent<Prepare>(h.deliver(NodeId(0), pbft::Message{a})).size() == 1);
  auto& e = h.deliver(NodeId(0), pbft::Message{b});
  REQUIRE(sent<Prepare>(e).empty());
  auto ev = effects<EvidenceEffect>(e);
  REQUIRE(ev.size() == 1);
  REQUIRE((ev[0].culprit == NodeId(0) && ev[0].kind == EvidenceEffect::Kind::equivocation));
  // A retransmission of the same pre-prepare is benign: no evidence.
  REQUIRE(effects<EvidenceEffect>(h.deliver(NodeId(0), pbft::Message{a})).empty());
  // Conflicting prepares from one backup, too.
  h.deliver(NodeId(3), pbft::Message{prepare(k, a, 3)});
  auto ev2 = effects<EvidenceEffect>(h.deliver(NodeId(3), pbft::Message{prepare(k, b, 3)}));
  REQUIRE(ev2.size() == 1);
  REQUIRE(ev2[0].culprit == NodeId(3));
}

TEST_CASE("pre-prepares outside the watermarks, of other views or not from the primary") {
  Keys k;
  RecordingHost h(make(small_params(), 1, k));  // L = 8
  h.start();
  auto req = request(k, 1, 1);
  REQUIRE(
      sent<Prepare>(h.deliver(NodeId(0), pbft::Message{pre_prepare(k, View(0), Seq(9), {req}, 0)}))
          .empty());
  REQUIRE(rejected(h, "outside_watermarks") == 1);
  REQUIRE(
      sent<Prepare>(h.deliver(NodeId(0), pbft::Message{pre_prepare(k, View(0), Seq(0), {req}, 0)}))
          .empty());
  REQUIRE(rejected(h, "outside_watermarks") == 2);
  REQUIRE(
      sent<Prepare>(h.deliver(NodeId(0), pbft::Message{pre_prepare(k, View(0), Seq(8), {req}, 0)}))
          .size() == 1);
  REQUIRE(sent<Prepare>(
              h.deliver(NodeId(1 + 0), pbft::Message{pre_prepare(k, View(1), Seq(2), {req}, 1)}))
              .empty());
  // (delivered over the wrong link: sender_mismatch, and no prepare either)
  REQUIRE(
      sent<Prepare>(h.deliver(NodeId(3), pbft::Message{pre_prepare(k, View(1), Seq(2), {req}, 1)}))
          .empty());
  REQUIRE(rejected(h, "sender_mismatch") == 1);
  auto& fv = h.deliver(NodeId(2), pbft::Message{pre_prepare(k, View(1), Seq(2), {req}, 2)});
  REQUIRE(sent<Prepare>(fv).empty());
  REQUIRE(rejected(h, "future_view") == 1);
  // Signed by a backup for view 0: provably not from the primary.
  auto& np = h.deliver(NodeId(3), pbft::Message{pre_prepare(k, View(0), Seq(3), {req}, 3)});
  REQUIRE(sent<Prepare>(np).empty());
  REQUIRE(rejected(h, "not_primary") == 1);
  REQUIRE(effects<EvidenceEffect>(np).size() == 1);
  // A digest that does not match the batch.
  auto pp = pre_prepare(k, View(0), Seq(4), {req}, 0);
  pp.digest = blake2b(std::string("other"));
  pp = signed_by(pp, k);
  auto& dm = h.deliver(NodeId(0), pbft::Message{pp});
  REQUIRE(sent<Prepare>(dm).empty());
  REQUIRE(rejected(h, "digest_mismatch") == 1);
  // The signature covers (v, n, d), not the batch (§4.2): a batch swapped under a genuine
  // signature still verifies, and the digest check is what refuses it.
  auto swapped = pre_prepare(k, View(0), Seq(4), {req}, 0);
  swapped.batch = {request(k, 2, 1, "put y 1")};
  REQUIRE(verify(swapped, *k.verifier()));
  REQUIRE(sent<Prepare>(h.deliver(NodeId(0), pbft::Message{swapped})).empty());
  REQUIRE(rejected(h, "digest_mismatch") == 2);
  // A forged client request inside the batch.
  auto forged = req;
  forged.operation = Bytes{9};
  REQUIRE(sent<Prepare>(
              h.deliver(NodeId(0), pbft::Message{pre_prepare(k, View(0), Seq(5), {forged}, 0)}))
              .empty());
  REQUIRE(rejected(h, "bad_request_signature") == 1);
}

TEST_CASE("clients: duplicates are not re-proposed; an old request gets the cached reply") {
  Keys k;
  RecordingHost h(make(small_params(), 0, k));
  h.start();
  auto req = request(k, 1, 1, "put x 1");
  auto pp = sent<PrePrepare>(h.client_request(req)).at(0);
  // Retransmitted before execution: no second pre-prepare.
  REQUIRE(sent<PrePrepare>(h.client_request(req)).empty());
  h.deliver(NodeId(1), pbft::Message{prepare(k, pp, 1)});
  h.deliver(NodeId(2), pbft::Message{prepare(k, pp, 2)});
  h.deliver(NodeId(1), pbft::Message{commit(k, pp, 1)});
  auto first = effects<ReplyEffect>(h.deliver(NodeId(2), pbft::Message{commit(k, pp, 2)}));
  REQUIRE(first.size() == 1);
  // Retransmitted after execution: the cached reply again, and still no pre-prepare.
  auto& again = h.client_request(req);
  REQUIRE(sent<PrePrepare>(again).empty());
  auto cached = effects<ReplyEffect>(again);
  REQUIRE(cached.size() == 1);
  REQUIRE(cached[0].reply->result == first[0].reply->result);
  // A badly signed request is dropped.
  auto bad = request(k, 2, 1);
  bad.id = RequestId(5);
  REQUIRE(sent<PrePrepare>(h.client_request(bad)).empty());
  REQUIRE(rejected(h, "bad_request_signature") == 1);
}

TEST_CASE("batching: a full batch goes at once, a partial one after the batch timeout") {
  Keys k;
  auto p = small_params();
  p.batch_size = 3;
  RecordingHost h(make(p, 0, k));
  h.start();
  REQUIRE(sent<PrePrepare>(h.client_request(request(k, 1, 1))).empty());
  REQUIRE(h.timer_armed(PbftReplica::kBatchTimer));
  REQUIRE(sent<PrePrepare>(h.client_request(request(k, 2, 1))).empty());
  auto full = sent<PrePrepare>(h.client_request(request(k, 3, 1)));
  REQUIRE(full.size() == 1);
  REQUIRE(full[0].batch.size() == 3);
  h.client_request(request(k, 4, 1));
  auto partial = sent<PrePrepare>(h.fire(PbftReplica::kBatchTimer));
  REQUIRE(partial.size() == 1);
  REQUIRE(partial[0].batch.size() == 1);
  REQUIRE(partial[0].seq == Seq(2));
}

TEST_CASE(
    "a request gets one sequence number: a pre-prepare repeating an accepted one is refused") {
  Keys k;
  RecordingHost h(make(small_params(), 1, k));
  h.start();
  auto req = request(k, 1, 1);
  REQUIRE(
      sent<Prepare>(h.deliver(NodeId(0), pbft::Message{pre_prepare(k, View(0), Seq(1), {req}, 0)}))
          .size() == 1);
  auto& again = h.deliver(NodeId(0), pbft::Message{pre_prepare(k, View(0), Seq(2), {req}, 0)});
  REQUIRE(sent<Prepare>(again).empty());
  REQUIRE(rejected(h, "duplicate_request") == 1);
  REQUIRE(effects<EvidenceEffect>(again).empty());  // depends on our progress: not a proof
  auto twice = request(k, 2, 1);
  REQUIRE(sent<Prepare>(h.deliver(NodeId(0), pbft::Message{pre_prepare(k, View(0), Seq(3),
                                                                       {twice, twice}, 0)}))
              .empty());
  REQUIRE(rejected(h, "duplicate_request") == 2);
}

TEST_CASE("a backup skips re-verifying a batched request only if it equals the one it verified") {
  // MAC-authenticated requests (one entry per replica), as the simulated clients send them:
  // the keys of a simulated cluster carry session keys.
  ClusterKeys keys(CryptoScheme::sim, kSeed, 4, 2);
  auto signer = [&](Principal p) { return std::shared_ptr<const Signer>(keys.signer(p)); };
  RecordingHost h(pbft::make_replica(ReplicaSetup{
      small_params(), NodeId(1), signer(Principal::replica(NodeId(1))), keys.verifier()}));
  h.start();
  const std::string op = "put x 1";
  auto req = make_client_request(ClientId(1), RequestId(1), Bytes(op.begin(), op.end()),
                                 *signer(Principal::client(ClientId(1))), 4);
  REQUIRE(req.authenticator.size() == 4u);
  h.client_request(req);
  auto primary = signer(Principal::replica(NodeId(0)));
  auto propose = [&](const Request& r) {
    PrePrepare pp{View(0), Seq(1), batch_digest(Batch{r}), Batch{r}, NodeId(0), {}};
    sign(pp, *primary);
    return sent<Prepare>(h.deliver(NodeId(0), pbft::Message{pp})).size();
  };

  // Our own entry altered (first or last byte): not the request we verified, and it does
  // not verify.
  auto altered = req;
  altered.authenticator[1][0] ^= 1;
  REQUIRE(propose(altered) == 0u);
  REQUIRE(rejected(h, "bad_request_mac") == 1);
  altered = req;
  altered.authenticator[1].back() ^= 0x80;
  REQUIRE(propose(altered) == 0u);
  REQUIRE(rejected(h, "bad_request_mac") == 2);
  // Another replica's entry altered: not the request we verified, but ours verifies.
  altered = req;
  altered.authenticator[2][0] ^= 1;
  REQUIRE(propose(altered) == 1u);
  REQUIRE(rejected(h, "bad_request_mac") == 2);
}
