// Unit tests of the HotStuff replica with the recording host, one per paper rule
// (Yin et al., PODC'19, arXiv Alg. 4 and 5).
#include <catch2/catch.hpp>

#include "protocols/hotstuff/replica.hpp"
#include "tests/hotstuff/chain_builder.hpp"

using namespace knhk;
using namespace knhk::hotstuff;
using test::ChainBuilder;
using test::effects_of;
using test::sent;
using testing::RecordingHost;

namespace {

std::vector<Vote> votes_for(const std::vector<Effect>& effects, const Block& b) {
  std::vector<Vote> out;
  for (const auto& v : sent<Vote>(effects))
    if (v.block == block_hash(b)) out.push_back(v);
  return out;
}

// Vote destination: the replica under test sends a SendEffect to the next leader.
NodeId vote_destination(const std::vector<Effect>& effects) {
  for (const auto& s : effects_of<SendEffect>(effects))
    if (std::holds_alternative<hotstuff::Message>(s.msg->body) &&
        std::holds_alternative<Vote>(std::get<hotstuff::Message>(s.msg->body)))
      return s.to;
  return NodeId(9999);
}

}  // namespace

TEST_CASE("Alg.4 onReceiveVote: the next leader forms a QC from n-f distinct valid votes") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(2)));  // leads view 2
  host.start();
  Block b1 = c.block(genesis_block(), View(1), {c.request(1)});
  host.deliver(NodeId(1), hotstuff::Message(c.proposal(b1)));
  // Its own vote counts (sent to itself); a duplicate and a forged vote do not.
  host.deliver(NodeId(0), hotstuff::Message(c.vote(b1, NodeId(0))));
  host.deliver(NodeId(0), hotstuff::Message(c.vote(b1, NodeId(0))));
  Vote forged = c.vote(b1, NodeId(3));
  forged.signature[0] ^= 1;
  auto& fx = host.deliver(NodeId(3), hotstuff::Message(forged));
  CHECK(host.replica().status().rejected.at("bad_vote_signature") == 1);
  auto ev = effects_of<EvidenceEffect>(fx);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].culprit == NodeId(3));
  CHECK(ev[0].kind == EvidenceEffect::Kind::invalid_signature);
  CHECK(sent<Proposal>(host.all()).empty());  // only 2 distinct valid votes so far

  auto& formed = host.deliver(NodeId(3), hotstuff::Message(c.vote(b1, NodeId(3))));
  auto props = sent<Proposal>(formed);
  REQUIRE(props.size() == 1);
  CHECK(props[0].block.view == View(2));
  CHECK(props[0].block.parent == block_hash(b1));
  CHECK(props[0].block.justify.view == View(1));
  CHECK(props[0].block.justify.votes.size() == 3);
  CHECK(check_qc(props[0].block.justify, HotStuffConfig::from(c.params()), *c.verifier()) ==
        QcCheck::ok);
}

TEST_CASE("QC verification rejects too few votes, bad signatures and duplicate voters") {
  ChainBuilder c(4);
  auto cfg = HotStuffConfig::from(c.params());
  Block b1 = c.block(genesis_block(), View(1));
  QuorumCert good = c.qc(b1);
  CHECK(check_qc(good, cfg, *c.verifier()) == QcCheck::ok);
  QuorumCert few = good;
  few.votes.pop_back();
  CHECK(check_qc(few, cfg, *c.verifier()) == QcCheck::too_few_votes);
  QuorumCert bad = good;
  bad.votes[1].signature[5] ^= 0xff;
  CHECK(check_qc(bad, cfg, *c.verifier()) == QcCheck::bad_signature);
  QuorumCert dup = good;
  dup.votes[2] = dup.votes[1];
  CHECK(check_qc(dup, cfg, *c.verifier()) == QcCheck::unsorted_voters);
  QuorumCert other_view = good;
  other_view.view = View(2);  // signatures were over view 1
  CHECK(check_qc(other_view, cfg, *c.verifier()) == QcCheck::bad_signature);
}

TEST_CASE("a proposal whose justify QC has too few votes is rejected with evidence") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(0)));
  host.start();
  Block b1 = c.block(genesis_block(), View(1));
  Block b2 = c.block(b1, View(2));
  b2.justify.votes.pop_back();
  auto& fx = host.deliver(NodeId(2), hotstuff::Message(c.proposal(b2)));
  CHECK(host.replica().status().rejected.at("qc_too_few_votes") == 1);
  CHECK(sent<Vote>(fx).empty());
  REQUIRE(effects_of<EvidenceEffect>(fx).size() == 1);
  CHECK(effects_of<EvidenceEffect>(fx)[0].culprit == NodeId(2));
}

TEST_CASE("Alg.4 safeNode: a lock rejects a conflicting branch unless its justify is newer") {
  ChainBuilder c(4);
  Block b1 = c.block(genesis_block(), View(1));
  Block b2 = c.block(b1, View(2));
  Block b3 = c.block(b2, View(3));
  Block conflicting = c.block(genesis_block(), View(5));  // justify: genesis QC (view 0)
  Block fork = c.block(genesis_block(), View(4));         // a branch certified in view 4
  Block newer = c.block(fork, View(6));                   // justify QC(fork), view 4 > lock

  SECTION("without a lock the conflicting block is voted for") {
    RecordingHost host(c.replica(NodeId(0)));
    host.start();
    auto& fx = host.deliver(NodeId(1), hotstuff::Message(c.proposal(conflicting)));
    CHECK(votes_for(fx, conflicting).size() == 1);
  }
  SECTION("locked on b1 after b1 <- b2 <- b3") {
    RecordingHost host(c.replica(NodeId(0)));
    host.start();
    for (const Block& b : {b1, b2, b3}) host.deliver(b.proposer, hotstuff::Message(c.proposal(b)));
    CHECK(sent<Vote>(host.all()).size() == 2);  // the vote for b3 goes to itself (leads 4)

    auto& fx = host.deliver(NodeId(1), hotstuff::Message(c.proposal(conflicting)));
    CHECK(votes_for(fx, conflicting).empty());
    CHECK(host.replica().status().rejected.at("unsafe_proposal") == 1);

    // Liveness rule: the fork's QC (view 4) is newer than the lock (view 1).
    auto& fetch = host.deliver(NodeId(2), hotstuff::Message(c.proposal(newer)));
    auto reqs = sent<BlockRequest>(fetch);
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].block == block_hash(fork));
    auto& fx2 =
        host.deliver(NodeId(2), hotstuff::Message(c.response(reqs[0].block, {fork}, NodeId(2))));
    CHECK(votes_for(fx2, newer).size() == 1);
  }
}

TEST_CASE("Alg.4 update: three-chain commit needs direct parents in consecutive views") {
  ChainBuilder c(7);  // replica 0 leads views 0 and 7 only
  Block b1 = c.block(genesis_block(), View(1), {c.request(1)});
  Block b2 = c.block(b1, View(2), {c.request(2)});

  SECTION("b1 <- b2 <- b3 <- b4 commits b1, and only at b4") {
    RecordingHost host(c.replica(NodeId(0)));
    host.start();
    Block b3 = c.block(b2, View(3));
    Block b4 = c.block(b3, View(4));
    for (const Block& b : {b1, b2, b3}) host.deliver(b.proposer, hotstuff::Message(c.proposal(b)));
    CHECK(effects_of<CommitEffect>(host.all()).empty());
    auto& fx = host.deliver(b4.proposer, hotstuff::Message(c.proposal(b4)));
    auto commits = effects_of<CommitEffect>(fx);
    REQUIRE(commits.size() == 1);
    CHECK(commits[0].view == View(1));
    CHECK(commits[0].position == Seq(1));
    CHECK(commits[0].batch_digest == batch_digest(b1.batch));
    CHECK(effects_of<ReplyEffect>(fx).size() == 1);
  }
  SECTION("a gap (view 3 missing) breaks the chain: nothing commits") {
    RecordingHost host(c.replica(NodeId(0)));
    host.start();
    Block b4 = c.block(b2, View(4));
    Block b5 = c.block(b4, View(5));
    Block b6 = c.block(b5, View(6));
    for (const Block& b : {b1, b2, b4, b5, b6})
      host.deliver(b.proposer, hotstuff::Message(c.proposal(b)));
    CHECK(sent<Vote>(host.all()).size() == 4);  // the vote for b6 goes to itself (leads 7)
    CHECK(effects_of<CommitEffect>(host.all()).empty());
  }
}

TEST_CASE("a committed chain is executed in order, ancestors first") {
  ChainBuilder c(7);
  RecordingHost host(c.replica(NodeId(3)));  // leads views 3 and 10
  host.start();
  Block b1 = c.block(genesis_block(), View(1), {c.request(1)});
  Block b2 = c.block(b1, View(2), {c.request(2)});
  // b2 is certified only in view 4 (view 3 failed); b4 <- b5 <- b6 then commits b4 once
  // b7 carries QC(b6), and with b4 its uncommitted ancestors b1 and b2.
  Block b4 = c.block(b2, View(4), {c.request(3)});
  Block b5 = c.block(b4, View(5));
  Block b6 = c.block(b5, View(6));
  Block b7 = c.block(b6, View(7));
  for (const Block& b : {b1, b2, b4, b5, b6})
    host.deliver(b.proposer, hotstuff::Message(c.proposal(b)));
  CHECK(effects_of<CommitEffect>(host.all()).empty());
  auto& fx = host.deliver(b7.proposer, hotstuff::Message(c.proposal(b7)));
  auto commits = effects_of<CommitEffect>(fx);
  REQUIRE(commits.size() == 3);
  CHECK(commits[0].view == View(1));
  CHECK(commits[1].view == View(2));
  CHECK(commits[2].view == View(4));
  CHECK(host.replica().status().committed == Seq(3));
}

TEST_CASE("linear communication: votes go to the next view's leader only") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(0)));
  host.start();
  Block b1 = c.block(genesis_block(), View(1));
  auto& fx = host.deliver(NodeId(1), hotstuff::Message(c.proposal(b1)));
  CHECK(effects_of<BroadcastEffect>(fx).empty());
  CHECK(vote_destination(fx) == NodeId(2));
}

TEST_CASE("a proposal with an unknown parent triggers a block fetch, then a vote") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(0)));
  host.start();
  Block b1 = c.block(genesis_block(), View(1), {c.request(1)});
  Block b2 = c.block(b1, View(2));
  auto& fx = host.deliver(NodeId(2), hotstuff::Message(c.proposal(b2)));
  CHECK(sent<Vote>(fx).empty());
  auto reqs = sent<BlockRequest>(fx);
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].block == block_hash(b1));
  CHECK(effects_of<SendEffect>(fx).back().to == NodeId(2));  // asks the proposer first

  SECTION("a response that does not hash to the request is rejected") {
    Block other = c.block(genesis_block(), View(1), {c.request(9)});
    auto& bad =
        host.deliver(NodeId(2), hotstuff::Message(c.response(reqs[0].block, {other}, NodeId(2))));
    CHECK(sent<Vote>(bad).empty());
    CHECK(host.replica().status().rejected.at("sync_hash_mismatch") == 1);
  }
  SECTION("the verified parent arrives and the parked proposal is voted for") {
    auto& ok =
        host.deliver(NodeId(2), hotstuff::Message(c.response(reqs[0].block, {b1}, NodeId(2))));
    CHECK(votes_for(ok, b2).size() == 1);
  }
  SECTION("an unanswered fetch is retried at another peer") {
    auto& retry = host.fire(kFetchTimer);
    auto again = sent<BlockRequest>(retry);
    REQUIRE(again.size() == 1);
    CHECK(effects_of<SendEffect>(retry).back().to != NodeId(2));
  }
}

TEST_CASE("proposals from a node that does not lead the view are rejected with evidence") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(0)));
  host.start();
  Block b1 = c.block(genesis_block(), View(1));
  b1.proposer = NodeId(2);
  auto& fx = host.deliver(NodeId(2), hotstuff::Message(c.proposal_by(b1, NodeId(2))));
  CHECK(sent<Vote>(fx).empty());
  CHECK(host.replica().status().rejected.at("not_leader") == 1);
  auto ev = effects_of<EvidenceEffect>(fx);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].culprit == NodeId(2));
  CHECK(ev[0].kind == EvidenceEffect::Kind::protocol_violation);
}

TEST_CASE("a proposal whose stated hash does not match its block is rejected") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(0)));
  host.start();
  Block b1 = c.block(genesis_block(), View(1));
  Proposal p = c.proposal(b1);
  p.block.batch.push_back(c.request(5));
  sign(p, *c.signer(NodeId(1)), /*keep_stated_hash=*/true);
  auto& fx = host.deliver(NodeId(1), hotstuff::Message(p));
  CHECK(sent<Vote>(fx).empty());
  CHECK(host.replica().status().rejected.at("block_hash_mismatch") == 1);
}

TEST_CASE("two different signed proposals for one view are equivocation evidence") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(0)));
  host.start();
  Block a = c.block(genesis_block(), View(1), {c.request(1)});
  Block b = c.block(genesis_block(), View(1), {c.request(2)});
  host.deliver(NodeId(1), hotstuff::Message(c.proposal(a)));
  // A duplicate delivery of the same proposal is benign.
  auto& dup = host.deliver(NodeId(1), hotstuff::Message(c.proposal(a)));
  CHECK(effects_of<EvidenceEffect>(dup).empty());
  auto& fx = host.deliver(NodeId(1), hotstuff::Message(c.proposal(b)));
  CHECK(votes_for(fx, b).empty());
  auto ev = effects_of<EvidenceEffect>(fx);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == EvidenceEffect::Kind::equivocation);
  CHECK(ev[0].culprit == NodeId(1));
}

TEST_CASE("two votes by one replica for different blocks of one view are evidence") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(2)));
  host.start();
  Block a = c.block(genesis_block(), View(1), {c.request(1)});
  Block b = c.block(genesis_block(), View(1), {c.request(2)});
  host.deliver(NodeId(3), hotstuff::Message(c.vote(a, NodeId(3))));
  auto& fx = host.deliver(NodeId(3), hotstuff::Message(c.vote(b, NodeId(3))));
  auto ev = effects_of<EvidenceEffect>(fx);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == EvidenceEffect::Kind::equivocation);
  CHECK(host.replica().status().rejected.at("vote_equivocation") == 1);
}

TEST_CASE(
    "Alg.5 pacemaker: a view timeout announces NEW-VIEW with qc_high (to all, incl. the leader)") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(0)));
  host.start();
  CHECK_FALSE(host.timer_armed(kViewTimer));  // idle: no timer, no spinning
  host.client_request(c.request(1));
  REQUIRE(host.timer_armed(kViewTimer));
  auto first = effects_of<SetTimerEffect>(host.all()).back().after;
  auto& fx = host.fire(kViewTimer);
  auto nv = sent<NewView>(fx);
  REQUIRE(nv.size() == 1);
  CHECK(nv[0].view == View(2));
  CHECK(effects_of<BroadcastEffect>(fx).size() == 1);  // the next leader hears it too
  // Exponential back-off on consecutive timeouts.
  auto second = effects_of<SetTimerEffect>(fx).back().after;
  CHECK(second == first * 2);
  CHECK(host.replica().status().view_changes == 1);
}

TEST_CASE("Alg.5: a leader with n-f NEW-VIEWs proposes on the highest QC among them") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(2)));  // leads view 2
  host.start();
  host.client_request(c.request(1));
  Block b1 = c.block(genesis_block(), View(1));
  host.deliver(NodeId(1), hotstuff::Message(c.proposal(b1)));  // no QC for b1 forms here
  for (std::uint32_t from : {0u, 3u}) {
    NewView m{View(2), from == 3 ? c.qc(b1) : genesis_qc(), {}, {}};
    sign(m, *c.signer(NodeId(from)));
    host.deliver(NodeId(from), hotstuff::Message(m));
  }
  CHECK(sent<Proposal>(host.all()).size() == 0);  // only 2 of 3
  NewView own{View(2), genesis_qc(), {}, {}};
  sign(own, *c.signer(NodeId(1)));
  auto& fx = host.deliver(NodeId(1), hotstuff::Message(own));
  std::vector<Proposal> props;
  for (const auto& p : sent<Proposal>(fx))
    if (p.block.view == View(2)) props.push_back(p);
  REQUIRE(props.size() == 1);
  CHECK(props[0].block.justify.view == View(1));  // extends the highest QC seen
  CHECK(props[0].block.batch.size() == 1);
  // Node 1's NEW-VIEW (genesis QC) came after QC(b1) was known: it is behind and gets
  // b1's proposal relayed to catch up. Node 0's came before, when nobody knew better.
  std::vector<NodeId> relayed_to;
  for (const auto& s : effects_of<SendEffect>(host.all())) {
    auto* h = std::get_if<hotstuff::Message>(&s.msg->body);
    if (h && std::holds_alternative<Proposal>(*h)) relayed_to.push_back(s.to);
  }
  CHECK(relayed_to == std::vector<NodeId>{NodeId(1)});
}

TEST_CASE("restart: state and vheight recover from the durable store, then catch up by sync") {
  ChainBuilder c(7);
  RecordingHost host(c.replica(NodeId(0)));
  host.start();
  Block b1 = c.block(genesis_block(), View(1), {c.request(1)});
  Block b2 = c.block(b1, View(2), {c.request(2)});
  Block b3 = c.block(b2, View(3));
  Block b4 = c.block(b3, View(4));
  Block b5 = c.block(b4, View(5));
  for (const Block& b : {b1, b2, b3, b4})
    host.deliver(b.proposer, hotstuff::Message(c.proposal(b)));
  const ReplicaStatus before = host.replica().status();
  REQUIRE(before.committed == Seq(1));

  host.replace_replica(c.replica(NodeId(0)));  // crash: volatile state is gone
  host.start();
  const ReplicaStatus after = host.replica().status();
  CHECK(after.committed == Seq(1));
  CHECK(after.state_hash == before.state_hash);

  // b4 again: its ancestors above b_exec (b1) are fetched; vheight (4) forbids a second vote.
  auto& fx = host.deliver(b4.proposer, hotstuff::Message(c.proposal(b4)));
  auto reqs = sent<BlockRequest>(fx);
  REQUIRE(reqs.size() == 1);
  auto& synced =
      host.deliver(NodeId(4), hotstuff::Message(c.response(reqs[0].block, {b3, b2}, NodeId(4))));
  CHECK(sent<Vote>(synced).empty());
  // b5 moves on: vote, and commit of b2 (position 2) without re-executing b1.
  auto& next = host.deliver(b5.proposer, hotstuff::Message(c.proposal(b5)));
  CHECK(votes_for(next, b5).size() == 1);
  auto commits = effects_of<CommitEffect>(next);
  REQUIRE(commits.size() == 1);
  CHECK(commits[0].position == Seq(2));
  CHECK(commits[0].view == View(2));
}

TEST_CASE("HotStuffConfig: n < 4 is an invalid validator set; quorum is n - f") {
  ProtocolParams p;
  p.kind = ProtocolKind::hotstuff;
  p.nodes = 3;
  CHECK_THROWS_AS(HotStuffConfig::from(p), InvalidValidatorSetError);
  p.nodes = 7;
  auto cfg = HotStuffConfig::from(p);
  CHECK(cfg.f == 2);
  CHECK(cfg.quorum == 5);
  p.nodes = 31;
  CHECK(HotStuffConfig::from(p).quorum == 21);
}

TEST_CASE("client requests already executed are answered from the reply cache, not re-proposed") {
  ChainBuilder c(7);
  RecordingHost host(c.replica(NodeId(0)));
  host.start();
  Request r = c.request(1);
  Block b1 = c.block(genesis_block(), View(1), {r});
  Block b2 = c.block(b1, View(2));
  Block b3 = c.block(b2, View(3));
  Block b4 = c.block(b3, View(4));
  for (const Block& b : {b1, b2, b3, b4})
    host.deliver(b.proposer, hotstuff::Message(c.proposal(b)));
  REQUIRE(host.replica().status().committed == Seq(1));
  auto& fx = host.client_request(r);
  auto replies = effects_of<ReplyEffect>(fx);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].reply->id == r.id);
  CHECK_FALSE(host.timer_armed(kViewTimer));  // nothing pending
}

TEST_CASE("leaders rotate round-robin holding 4 views; a timeout skips to the next leader") {
  ProtocolParams p;
  p.kind = ProtocolKind::hotstuff;
  p.nodes = 4;
  auto cfg = HotStuffConfig::from(p);
  CHECK(cfg.leader(View(1)) == NodeId(0));
  CHECK(cfg.leader(View(3)) == NodeId(0));
  CHECK(cfg.leader(View(4)) == NodeId(1));
  CHECK(cfg.leader(View(15)) == NodeId(3));
  CHECK(cfg.leader(View(16)) == NodeId(0));
  CHECK(cfg.next_leader_view(View(5)) == View(8));
  CHECK(cfg.next_leader_view(View(8)) == View(12));

  ChainBuilder c(4);
  ReplicaSetup s{c.params(), NodeId(2), c.signer(NodeId(2)), c.verifier()};
  RecordingHost host(make_replica(s));
  host.start();
  host.client_request(c.request(1));
  auto& fx = host.fire(kViewTimer);
  auto nv = sent<NewView>(fx);
  REQUIRE(nv.size() == 1);
  CHECK(nv[0].view == View(4));  // from view 1 (node 0's term) to node 1's first view
  CHECK(effects_of<BroadcastEffect>(fx).size() == 1);
}

TEST_CASE("vheight is durable before the vote leaves: no second vote in a view after restart") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(0)));
  host.start();
  Block b1 = c.block(genesis_block(), View(1), {c.request(1)});
  auto& fx = host.deliver(NodeId(1), hotstuff::Message(c.proposal(b1)));
  REQUIRE(votes_for(fx, b1).size() == 1);
  // The persist precedes the vote in the effect list (write-ahead).
  std::size_t persist_at = fx.size(), vote_at = fx.size();
  for (std::size_t i = 0; i < fx.size(); ++i) {
    if (auto* p = std::get_if<PersistEffect>(&fx[i]);
        p && p->key == kSafetyKey && persist_at == fx.size())
      persist_at = i;
    if (auto* s = std::get_if<SendEffect>(&fx[i]);
        s && std::holds_alternative<hotstuff::Message>(s->msg->body))
      vote_at = std::min(vote_at, i);
  }
  CHECK(persist_at < vote_at);

  host.replace_replica(c.replica(NodeId(0)));
  host.start();
  // An equivocating leader's other block for view 1 (and b1 itself again): no vote.
  Block other = c.block(genesis_block(), View(1), {c.request(2)});
  auto& again = host.deliver(NodeId(1), hotstuff::Message(c.proposal(other)));
  CHECK(sent<Vote>(again).empty());
}

TEST_CASE("a restarted leader does not propose a second block for a view it proposed in") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(2)));  // leads view 2
  host.start();
  host.client_request(c.request(1));
  Block b1 = c.block(genesis_block(), View(1), {c.request(1)});
  host.deliver(NodeId(1), hotstuff::Message(c.proposal(b1)));
  for (std::uint32_t v : {0u, 3u})
    host.deliver(NodeId(v), hotstuff::Message(c.vote(b1, NodeId(v))));
  REQUIRE(sent<Proposal>(host.all()).size() == 1);

  host.replace_replica(c.replica(NodeId(2)));
  host.start();
  host.clear_all();
  host.client_request(c.request(2, 2));
  host.deliver(NodeId(1), hotstuff::Message(c.proposal(b1)));
  // Its own vote is not repeated (vheight 2), so three others re-send theirs: a QC forms.
  for (std::uint32_t v : {0u, 1u, 3u})
    host.deliver(NodeId(v), hotstuff::Message(c.vote(b1, NodeId(v))));
  CHECK(sent<Proposal>(host.all()).empty());
}

#if KNHK_BUGS
TEST_CASE("bug variants for the checkers are wired (test builds only)") {
  ChainBuilder c(4);
  Block b1 = c.block(genesis_block(), View(1));
  Block b2 = c.block(b1, View(2));
  Block b3 = c.block(b2, View(3));
  Block conflicting = c.block(genesis_block(), View(5));
  SECTION("ignore_lock votes for a branch that conflicts with its lock") {
    RecordingHost host(c.replica(NodeId(0), BugVariant::ignore_lock));
    host.start();
    for (const Block& b : {b1, b2, b3}) host.deliver(b.proposer, hotstuff::Message(c.proposal(b)));
    auto& fx = host.deliver(NodeId(1), hotstuff::Message(c.proposal(conflicting)));
    CHECK(votes_for(fx, conflicting).size() == 1);
  }
  SECTION("execute_before_commit executes a block on receipt") {
    RecordingHost host(c.replica(NodeId(0), BugVariant::execute_before_commit));
    host.start();
    Block with_request = c.block(genesis_block(), View(1), {c.request(1)});
    auto& fx = host.deliver(NodeId(1), hotstuff::Message(c.proposal(with_request)));
    CHECK(effects_of<CommitEffect>(fx).size() == 1);
  }
  SECTION("small_quorum certifies with 2f votes") {
    ProtocolParams p = c.params();
    p.bug = BugVariant::small_quorum;
    CHECK(HotStuffConfig::from(p).quorum == 2);
  }
}
#endif

TEST_CASE("batching: partial batch after batch_timeout, empty blocks only to close a chain") {
  ChainBuilder c(4);
  ReplicaSetup s{c.params(), NodeId(0), c.signer(NodeId(0)), c.verifier()};
  s.params.batch_size = 4;
  RecordingHost host(make_replica(s));  // 4 views per leader: node 0 leads views 1..3
  host.start();
  // Idle: the leader of view 1 holds the genesis QC but proposes nothing, arms nothing.
  CHECK(sent<Proposal>(host.all()).empty());
  CHECK_FALSE(host.timer_armed(kViewTimer));

  auto& waiting = host.client_request(c.request(1));
  CHECK(sent<Proposal>(waiting).empty());  // 1 of 4: wait for batch_timeout
  REQUIRE(host.timer_armed(kBatchTimer));
  auto& fired = host.fire(kBatchTimer);
  auto p1 = sent<Proposal>(fired);
  REQUIRE(p1.size() == 1);
  CHECK(p1[0].block.batch.size() == 1);

  // QC for b1: b2 is empty (the request is in flight in b1) but needed for the chain.
  auto vote_all = [&](const Block& b) {
    std::vector<Proposal> out;
    for (std::uint32_t v : {1u, 2u})
      for (const auto& p :
           sent<Proposal>(host.deliver(NodeId(v), hotstuff::Message(c.vote(b, NodeId(v))))))
        out.push_back(p);
    return out;
  };
  auto p2 = vote_all(p1[0].block);
  REQUIRE(p2.size() == 1);
  CHECK(p2[0].block.view == View(2));
  CHECK(p2[0].block.batch.empty());
  auto p3 = vote_all(p2[0].block);
  REQUIRE(p3.size() == 1);
  CHECK(p3[0].block.batch.empty());
  // View 4 is node 1's: it proposes b4 with QC(b3), which commits b1 here.
  Block b4 = c.block(p3[0].block, View(4));
  b4.proposer = NodeId(1);
  auto& fx = host.deliver(NodeId(1), hotstuff::Message(c.proposal_by(b4, NodeId(1))));
  REQUIRE(effects_of<CommitEffect>(fx).size() == 1);
  // Nothing pending any more: the view timer stops, nobody spins.
  CHECK_FALSE(host.timer_armed(kViewTimer));
}

TEST_CASE("batching: batch_timeout counts from the oldest request's arrival") {
  ChainBuilder c(4);
  ReplicaSetup s{c.params(), NodeId(0), c.signer(NodeId(0)), c.verifier()};
  s.params.batch_size = 4;
  s.params.batch_timeout = Duration::millis_(2);
  RecordingHost host(make_replica(s));  // node 0 leads views 1..3
  host.start();
  host.client_request(c.request(1));
  auto p1 = sent<Proposal>(host.fire(kBatchTimer));
  REQUIRE(p1.size() == 1);
  auto qc_for_b1 = [&]() -> const std::vector<Effect>& {
    host.deliver(NodeId(1), hotstuff::Message(c.vote(p1[0].block, NodeId(1))));
    return host.deliver(NodeId(2), hotstuff::Message(c.vote(p1[0].block, NodeId(2))));
  };
  SECTION("a request that waited batch_timeout while b1 was certified goes at once") {
    host.client_request(c.request(2));  // arrives while b1 awaits its QC
    host.advance(Duration::millis_(2));
    auto& fx = qc_for_b1();
    auto p2 = sent<Proposal>(fx);
    REQUIRE(p2.size() == 1);  // a partial batch (1 of 4), without a second wait
    CHECK(p2[0].block.batch.size() == 1);
    CHECK(effects_of<SetTimerEffect>(fx).size() == 2);  // view and retransmit timers only
    for (const auto& t : effects_of<SetTimerEffect>(fx)) CHECK(t.id != kBatchTimer);
  }
  SECTION("a younger one waits only for the rest of its batch_timeout") {
    host.client_request(c.request(2));
    host.advance(Duration::micros(500));
    auto& fx = qc_for_b1();
    CHECK(sent<Proposal>(fx).empty());
    auto timers = effects_of<SetTimerEffect>(fx);
    auto batch = std::find_if(timers.begin(), timers.end(),
                              [](const SetTimerEffect& t) { return t.id == kBatchTimer; });
    REQUIRE(batch != timers.end());
    CHECK(batch->after == Duration::micros(1500));
  }
}

TEST_CASE("view sync: f+1 replicas announcing higher views pull a replica forward") {
  ChainBuilder c(4);  // f = 1: two announcements above our view are enough
  RecordingHost host(c.replica(NodeId(0)));
  host.start();
  auto announce = [&](std::uint32_t from, std::uint64_t view) -> const std::vector<Effect>& {
    NewView m{View(view), genesis_qc(), {}, {}};
    sign(m, *c.signer(NodeId(from)));
    return host.deliver(NodeId(from), hotstuff::Message(m));
  };
  announce(1, 9);
  CHECK(host.replica().status().view == View(1));  // one replica could be lying
  auto& fx = announce(2, 7);
  CHECK(host.replica().status().view == View(7));  // the (f+1)-th highest: 7
  auto nv = sent<NewView>(fx);
  REQUIRE(nv.size() == 1);
  CHECK(nv[0].view == View(7));
}

// Regression (scenarios/regressions/hotstuff-silent-plus-partition.yaml): NEW-VIEWs
// lost on the way to the leader left a quorum of correct replicas without a proposal
// for a whole backed-off timeout. A NEW-VIEW is re-sent to the view's leader until it
// proposes there.
TEST_CASE("loss: a NEW-VIEW is re-sent to the view's leader until it proposes") {
  ChainBuilder c(4);
  RecordingHost host(c.replica(NodeId(0)));
  host.start();
  host.client_request(c.request(1));
  host.fire(kViewTimer);  // view 1 times out: NEW-VIEW(2) to all, leader of view 2 is 2
  REQUIRE(host.replica().status().view == View(2));
  REQUIRE(host.timer_armed(kNewViewTimer));
  for (int round = 0; round < 3; ++round) {
    auto& again = host.fire(kNewViewTimer);
    auto sends = effects_of<SendEffect>(again);
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].to == NodeId(2));
    auto nv = sent<NewView>(again);
    REQUIRE(nv.size() == 1);
    CHECK(nv[0].view == View(2));
    CHECK(nv[0].sender == NodeId(0));
    CHECK(effects_of<BroadcastEffect>(again).empty());  // only the leader needs it
  }
  // The leader proposes in view 2: we move on and stop repeating.
  Block b2 = c.block(genesis_block(), View(2));
  host.deliver(NodeId(2), hotstuff::Message(c.proposal(b2)));
  CHECK(host.replica().status().view == View(3));
  auto& quiet = host.fire(kNewViewTimer);
  CHECK(sent<NewView>(quiet).empty());
  for (const auto& t : effects_of<SetTimerEffect>(quiet)) CHECK(t.id != kNewViewTimer);
}

// A leader whose proposal or votes are lost keeps re-broadcasting the proposal for as
// long as it stays in the view without a QC (a fixed two re-sends once left it idle for
// the rest of a backed-off view), and stops as soon as the QC forms.
TEST_CASE("loss: a leader re-broadcasts its proposal until a QC for it forms") {
  ChainBuilder c(4);
  ReplicaSetup s{c.params(), NodeId(0), c.signer(NodeId(0)), c.verifier()};
  s.params.batch_size = 1;
  RecordingHost host(make_replica(s));
  host.start();
  auto first = sent<Proposal>(host.client_request(c.request(1)));
  REQUIRE(first.size() == 1);
  for (int round = 0; round < 6; ++round) {
    REQUIRE(host.timer_armed(kRetransmitTimer));
    auto& again = host.fire(kRetransmitTimer);
    auto p = sent<Proposal>(again);
    REQUIRE(p.size() == 1);
    CHECK(p[0].block_hash == first[0].block_hash);
    CHECK(effects_of<BroadcastEffect>(again).size() == 1);
  }
  for (std::uint32_t v : {1u, 2u})
    host.deliver(NodeId(v), hotstuff::Message(c.vote(first[0].block, NodeId(v))));
  auto& quiet = host.fire(kRetransmitTimer);
  for (const auto& p : sent<Proposal>(quiet)) CHECK(p.block_hash != first[0].block_hash);
}
