// View changes (OSDI'99 §4.4, TOCS'02 §4.5): VIEW-CHANGE with the P-set, NEW-VIEW with the
// O-set (null requests for gaps), validation of NEW-VIEW, back-off and joining a higher view.
#include <catch2/catch.hpp>

#include "pbft_test_util.hpp"

using namespace knhk;
using namespace knhk::pbft;
using namespace knhk::pbft::test;

namespace {

struct Scenario {
  Keys k;
  Request req1 = request(k, 1, 1, "put a 1");
  Request req3 = request(k, 3, 1, "put c 3");
  PrePrepare pp1 = pre_prepare(k, View(0), Seq(1), {req1}, 0);
  PrePrepare pp3 = pre_prepare(k, View(0), Seq(3), {req3}, 0);

  ViewChange vc(std::uint32_t who, std::vector<PreparedCertificate> prepared = {}) const {
    ViewChange m{View(1), Seq(0), Digest{}, {}, std::move(prepared), NodeId(who), {}};
    return signed_by(m, k);
  }
  PreparedCertificate cert3() const { return {pp3, {prepare(k, pp3, 2), prepare(k, pp3, 3)}}; }

  // Replica 1 (primary of view 1) prepares seq 1 in view 0, times out, and collects view
  // changes from 2 (nothing prepared) and 3 (seq 3 prepared): it sends NEW-VIEW.
  std::pair<RecordingHost, NewView> new_primary() const {
    RecordingHost h(make(small_params(), 1, k));
    h.start();
    h.client_request(req1);
    h.deliver(NodeId(0), pbft::Message{pp1});
    h.deliver(NodeId(2), pbft::Message{prepare(k, pp1, 2)});
    h.fire(PbftReplica::kViewChangeTimer);
    h.deliver(NodeId(2), pbft::Message{vc(2)});
    auto nvs = sent<NewView>(h.deliver(NodeId(3), pbft::Message{vc(3, {cert3()})}));
    REQUIRE(nvs.size() == 1);
    return {std::move(h), nvs[0]};
  }

  // Replica 2, a fresh backup in view 0, handed `forged` from `from`, signed anew with the
  // key of the replica it names: only the forged content, never a stale signature, can be
  // the reason it is rejected.
  RecordingHost backup_given(NewView forged, NodeId from) const {
    RecordingHost b(make(small_params(), 2, k));
    b.start();
    b.deliver(from, pbft::Message{signed_by(forged, k)});
    return b;
  }
};

// A backup given the forged NEW-VIEW from the new primary stays in view 0 and counts it
// as bad_new_view.
void expect_bad_new_view(const Scenario& s, NewView forged) {
  auto b = s.backup_given(std::move(forged), NodeId(1));
  REQUIRE(b.replica().status().view == View(0));
  REQUIRE(rejected(b, "bad_new_view") == 1);
}

}  // namespace

TEST_CASE(
    "§4.4 view change: the prepared request is carried into the new view, gaps get null requests") {
  Scenario s;
  RecordingHost h(make(small_params(), 1, s.k));
  h.start();
  h.client_request(s.req1);  // starts the view-change timer
  REQUIRE(h.timer_armed(PbftReplica::kViewChangeTimer));
  h.deliver(NodeId(0), pbft::Message{s.pp1});
  REQUIRE(sent<Commit>(h.deliver(NodeId(2), pbft::Message{prepare(s.k, s.pp1, 2)})).size() == 1);

  auto& timeout = h.fire(PbftReplica::kViewChangeTimer);
  auto vcs = sent<ViewChange>(timeout);
  REQUIRE(vcs.size() == 1);
  const auto& vc = vcs[0];
  REQUIRE((vc.new_view == View(1) && vc.stable_seq == Seq(0)));
  REQUIRE(vc.prepared.size() == 1);
  REQUIRE(vc.prepared[0].pre_prepare == s.pp1);
  REQUIRE(vc.prepared[0].prepares.size() == 2);
  // The view is durable before the VIEW-CHANGE leaves.
  REQUIRE(h.store.count("pbft/view") == 1);
  REQUIRE(h.replica().status().view == View(1));
  REQUIRE_FALSE(h.replica().status().is_leader);  // not before NEW-VIEW

  REQUIRE(sent<NewView>(h.deliver(NodeId(2), pbft::Message{s.vc(2)})).empty());
  auto& e = h.deliver(NodeId(3), pbft::Message{s.vc(3, {s.cert3()})});
  auto nvs = sent<NewView>(e);
  REQUIRE(nvs.size() == 1);
  const auto& nv = nvs[0];
  REQUIRE(nv.view_changes.size() == 3);
  REQUIRE(nv.pre_prepares.size() == 3);
  // seq 1: the request prepared in view 0; seq 2: a null request; seq 3: from replica 3's P-set.
  REQUIRE(nv.pre_prepares[0].digest == s.pp1.digest);
  REQUIRE(nv.pre_prepares[0].batch == Batch{s.req1});
  REQUIRE(nv.pre_prepares[1].batch.empty());
  REQUIRE(nv.pre_prepares[1].digest == batch_digest(Batch{}));
  REQUIRE(nv.pre_prepares[2].digest == s.pp3.digest);
  for (const auto& pp : nv.pre_prepares) {
    REQUIRE((pp.view == View(1) && pp.replica == NodeId(1)));
    REQUIRE(verify(pp, *s.k.verifier()));
  }
  REQUIRE(h.replica().status().is_leader);
  REQUIRE(h.replica().status().view_changes == 1);
  // The new primary continues numbering after the O-set.
  auto next = sent<PrePrepare>(h.client_request(request(s.k, 4, 1)));
  REQUIRE(next.size() == 1);
  REQUIRE((next[0].seq == Seq(4) && next[0].view == View(1)));
}

TEST_CASE("§4.4 backups accept a valid NEW-VIEW and reject forged ones") {
  Scenario s;
  auto [primary, nv] = s.new_primary();

  SECTION("valid: the backup enters view 1 and prepares the O-set") {
    RecordingHost b(make(small_params(), 2, s.k));
    b.start();
    auto& e = b.deliver(NodeId(1), pbft::Message{nv});
    REQUIRE(b.replica().status().view == View(1));
    auto prepares = sent<Prepare>(e);
    REQUIRE(prepares.size() == 3);
    REQUIRE(prepares[0].digest == s.pp1.digest);
    REQUIRE(effects<EvidenceEffect>(e).empty());
  }
  SECTION("O-set that drops the prepared request (re-signed by the primary) is rejected") {
    NewView forged = nv;
    forged.pre_prepares[0] = pre_prepare(s.k, View(1), Seq(1), {}, 1);  // null instead of req1
    auto b = s.backup_given(forged, NodeId(1));
    const auto& e = b.last();
    REQUIRE(b.replica().status().view == View(0));
    REQUIRE(sent<Prepare>(e).empty());
    REQUIRE(rejected(b, "bad_new_view") == 1);
    auto ev = effects<EvidenceEffect>(e);
    REQUIRE(ev.size() == 1);
    REQUIRE((ev[0].culprit == NodeId(1) && ev[0].kind == EvidenceEffect::Kind::protocol_violation));
  }
  SECTION("fewer than a quorum of view-changes is rejected") {
    NewView forged = nv;
    forged.view_changes.pop_back();
    expect_bad_new_view(s, forged);
  }
  SECTION("a view-change with a forged prepared certificate is rejected") {
    NewView forged = nv;
    auto& vc3 = forged.view_changes.back();
    vc3.prepared[0].prepares.pop_back();  // 1 prepare: not a certificate
    vc3 = signed_by(vc3, s.k);
    expect_bad_new_view(s, forged);
  }
  SECTION("a prepared certificate whose batch was swapped under its signatures is rejected") {
    NewView forged = nv;
    auto& vc3 = forged.view_changes.back();
    vc3.prepared[0].pre_prepare.batch = {request(s.k, 7, 7, "put z 7")};  // digest kept
    REQUIRE(verify(vc3.prepared[0].pre_prepare, *s.k.verifier()));
    vc3 = signed_by(vc3, s.k);
    expect_bad_new_view(s, forged);
  }
  SECTION("a NEW-VIEW signed by a replica that is not the new primary is rejected") {
    NewView forged = nv;
    forged.replica = NodeId(3);
    auto b = s.backup_given(forged, NodeId(3));
    REQUIRE(b.replica().status().view == View(0));
    REQUIRE(rejected(b, "not_primary") == 1);
  }
}

TEST_CASE("§4.5 a replica joins a higher view when f+1 others ask for it") {
  Scenario s;
  RecordingHost h(make(small_params(), 3, s.k));
  h.start();
  REQUIRE(sent<ViewChange>(h.deliver(NodeId(1), pbft::Message{s.vc(1)})).empty());
  REQUIRE(h.replica().status().view == View(0));
  auto vcs = sent<ViewChange>(h.deliver(NodeId(2), pbft::Message{s.vc(2)}));
  REQUIRE(vcs.size() == 1);
  REQUIRE(vcs[0].new_view == View(1));
  REQUIRE(h.replica().status().view == View(1));
}

// TOCS'02 §4.5.2: a replica's NEW-VIEW timer starts when 2f+1 VIEW-CHANGEs for the view
// are in (not at its own VIEW-CHANGE) and lasts T, 2T, 4T... for consecutive views; until
// then the timer only paces retransmissions of its VIEW-CHANGE, at T.
TEST_CASE(
    "§4.5.2 view-change timeouts back off exponentially from the quorum; a lone replica does "
    "not inflate views") {
  Scenario s;
  RecordingHost h(make(small_params(), 3, s.k));  // view_timeout = 100ms
  h.start();
  h.client_request(s.req1);
  auto timer_after = [](const std::vector<Effect>& e) {
    for (const auto& t : effects<SetTimerEffect>(e))
      if (t.id == PbftReplica::kViewChangeTimer) return t.after;
    return Duration{};
  };
  auto& first = h.fire(PbftReplica::kViewChangeTimer);
  REQUIRE(sent<ViewChange>(first).at(0).new_view == View(1));
  REQUIRE(timer_after(first) == Duration::millis_(100));
  // Nobody else asked for view 1: retransmit the same view-change at the same pace.
  for (int i = 0; i < 3; ++i) {
    auto& again = h.fire(PbftReplica::kViewChangeTimer);
    REQUIRE(sent<ViewChange>(again).at(0).new_view == View(1));
    REQUIRE(timer_after(again) == Duration::millis_(100));
    REQUIRE(h.replica().status().view == View(1));
  }
  // The quorum for view 1 forms now: the NEW-VIEW timer (T) starts at this moment.
  REQUIRE(timer_after(h.deliver(NodeId(0), pbft::Message{s.vc(0)})) == Duration{});
  REQUIRE(timer_after(h.deliver(NodeId(2), pbft::Message{s.vc(2)})) == Duration::millis_(100));
  // View 1's primary is silent: move on to view 2, retransmitting at T until a quorum ...
  auto& third = h.fire(PbftReplica::kViewChangeTimer);
  REQUIRE(sent<ViewChange>(third).at(0).new_view == View(2));
  REQUIRE(timer_after(third) == Duration::millis_(100));
  h.deliver(NodeId(0), pbft::Message{signed_by(
                           ViewChange{View(2), Seq(0), Digest{}, {}, {}, NodeId(0), {}}, s.k)});
  // ... whose NEW-VIEW timer is twice as long ...
  auto& quorum2 = h.deliver(
      NodeId(1),
      pbft::Message{signed_by(ViewChange{View(2), Seq(0), Digest{}, {}, {}, NodeId(1), {}}, s.k)});
  REQUIRE(timer_after(quorum2) == Duration::millis_(200));
  // ... and when view 2's primary is silent too, the next one doubles again.
  auto& fourth = h.fire(PbftReplica::kViewChangeTimer);
  REQUIRE(sent<ViewChange>(fourth).at(0).new_view == View(3));
  Duration view3_timer{};
  for (std::uint32_t r : {0u, 1u})
    view3_timer = timer_after(h.deliver(
        NodeId(r), pbft::Message{signed_by(
                       ViewChange{View(3), Seq(0), Digest{}, {}, {}, NodeId(r), {}}, s.k)}));
  REQUIRE(view3_timer == Duration::millis_(400));
  REQUIRE(h.replica().status().view_changes == 3);
  auto& fifth = h.fire(PbftReplica::kViewChangeTimer);
  REQUIRE(sent<ViewChange>(fifth).at(0).new_view == View(4));
}

// Regression (scenarios/regressions/pbft-view-change-not-resent.yaml): once a replica saw
// a quorum for the new view its timer waits for NEW-VIEW and no longer paces resends, so a
// VIEW-CHANGE lost on the way to the new primary left that primary one short for good.
TEST_CASE("a replica keeps re-sending its VIEW-CHANGE on the tick after the quorum formed") {
  Scenario s;
  RecordingHost h(make(small_params(), 3, s.k));
  h.start();
  h.client_request(s.req1);
  REQUIRE(sent<ViewChange>(h.fire(PbftReplica::kViewChangeTimer)).at(0).new_view == View(1));
  h.deliver(NodeId(0), pbft::Message{s.vc(0)});
  h.deliver(NodeId(2), pbft::Message{s.vc(2)});  // the quorum for view 1 is in
  for (int tick = 0; tick < 3; ++tick) {
    auto vcs = sent<ViewChange>(h.fire(PbftReplica::kTickTimer));
    REQUIRE(vcs.size() == 1);
    CHECK(vcs[0].new_view == View(1));
    CHECK(vcs[0].replica == NodeId(3));
  }
}

TEST_CASE("the new primary resends NEW-VIEW to a replica that retransmits its VIEW-CHANGE") {
  Scenario s;
  auto [primary, nv] = s.new_primary();
  auto again = sent<NewView>(primary.deliver(NodeId(2), pbft::Message{s.vc(2)}));
  REQUIRE(again.size() == 1);
  REQUIRE(again[0] == nv);
}

#if KNHK_BUGS
TEST_CASE("bug variant drop_prepared_certificates: the O-set forgets the prepared request") {
  Scenario s;
  auto p = small_params();
  p.bug = BugVariant::drop_prepared_certificates;
  RecordingHost h(make(p, 1, s.k));
  h.start();
  h.client_request(s.req1);
  h.deliver(NodeId(0), pbft::Message{s.pp1});
  h.deliver(NodeId(2), pbft::Message{prepare(s.k, s.pp1, 2)});
  h.fire(PbftReplica::kViewChangeTimer);
  h.deliver(NodeId(2), pbft::Message{s.vc(2)});
  auto nvs = sent<NewView>(h.deliver(NodeId(3), pbft::Message{s.vc(3, {s.cert3()})}));
  REQUIRE(nvs.size() == 1);
  REQUIRE(nvs[0].pre_prepares.empty());  // the correct protocol carries seqs 1..3
}
#endif

TEST_CASE("a replica that asked for a higher view counts toward moving on (no deadlock)") {
  Scenario s;
  RecordingHost h(make(small_params(), 3, s.k));
  h.start();
  h.client_request(s.req1);
  h.fire(PbftReplica::kViewChangeTimer);         // 3 asks for view 1
  h.deliver(NodeId(0), pbft::Message{s.vc(0)});  // 0 asks for view 1
  ViewChange to2{View(2), Seq(0), Digest{}, {}, {}, NodeId(1), {}};
  h.deliver(NodeId(1), pbft::Message{signed_by(to2, s.k)});  // 1 already asks for view 2
  REQUIRE(h.replica().status().view == View(1));             // one is not f+1
  // Views 1's primary (1) has left view 1 with a quorum of us: move on to view 2.
  auto vcs = sent<ViewChange>(h.fire(PbftReplica::kViewChangeTimer));
  REQUIRE(vcs.size() == 1);
  REQUIRE(vcs[0].new_view == View(2));
}
