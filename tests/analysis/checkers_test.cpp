// The checkers must find what they are for, point at the first offending position and
// the nodes involved, and stay quiet on a correct record.
#include <catch2/catch.hpp>

#include "analysis/checkers.hpp"

using namespace knhk;
using namespace knhk::analysis;

namespace {

Request request(std::uint32_t client, std::uint64_t id, std::uint8_t op = 1) {
  Request r;
  r.client = ClientId(client);
  r.id = RequestId(id);
  r.operation = {op};
  return r;
}

struct RecordBuilder {
  sim::RunRecord r;

  RecordBuilder& submit(std::uint32_t client, std::uint64_t id, std::int64_t at_ms,
                        std::optional<std::int64_t> done_ms, std::uint8_t op = 1) {
    sim::ClientOperation o;
    o.client = ClientId(client);
    o.request = RequestId(id);
    o.operation = {op};
    o.submitted = Time{} + Duration::millis_(at_ms);
    if (done_ms) o.completed = Time{} + Duration::millis_(*done_ms);
    r.operations.push_back(o);
    return *this;
  }
  RecordBuilder& commit(std::uint32_t node, std::uint64_t pos, Batch batch,
                        std::int64_t at_ms = 10) {
    sim::CommitRecord c;
    c.node = NodeId(node);
    c.position = Seq(pos);
    c.time = Time{} + Duration::millis_(at_ms);
    c.batch_digest = batch_digest(batch);
    c.state_hash = blake2b("state after " + std::to_string(pos) + c.batch_digest.hex());
    sim::RecordedBatch recorded;
    for (const Request& req : batch) recorded.push_back({req.client, req.id, req.operation});
    c.batch = std::make_shared<const sim::RecordedBatch>(std::move(recorded));
    r.commits.push_back(c);
    return *this;
  }
};

RecordBuilder agreeing_cluster() {
  RecordBuilder b;
  b.r.replicas = 4;
  b.r.end = Time{} + Duration::secs(5);
  b.submit(0, 1, 0, 50).submit(0, 2, 50, 90).submit(1, 1, 0, 60);
  for (std::uint32_t n = 0; n < 4; ++n) {
    b.commit(n, 1, {request(0, 1), request(1, 1)});
    b.commit(n, 2, {request(0, 2)});
  }
  return b;
}

}  // namespace

TEST_CASE("a correct record passes every safety check", "[analysis][checkers]") {
  auto b = agreeing_cluster();
  CHECK(check_safety(b.r, {}).empty());
}

TEST_CASE("agreement: the first conflicting position and the nodes on each side", "[analysis]") {
  auto b = agreeing_cluster();
  b.commit(2, 3, {request(0, 3)}, 100).commit(3, 3, {request(1, 2)}, 120);
  b.commit(2, 4, {request(0, 4)}, 130).commit(3, 4, {request(1, 3)}, 140);
  b.submit(0, 3, 90, 110).submit(1, 2, 60, 130).submit(0, 4, 110, 140).submit(1, 3, 130, 150);
  auto v = check_agreement(b.r, {});
  REQUIRE(v.size() == 2);
  CHECK(v[0].check == "agreement");
  CHECK(v[0].position == 3u);
  CHECK(v[0].nodes == std::vector<NodeId>{NodeId(2), NodeId(3)});
  CHECK(v[0].time == Time{} + Duration::millis_(120));
  CHECK(v[0].message.find("different batches committed at position 3: ") == 0);
  CHECK(v[1].position == 4u);

  // A Byzantine replica's log does not count.
  CHECK(check_agreement(b.r, CheckScope{{NodeId(3)}}).empty());
}

TEST_CASE("state hashes: same batches but diverging execution", "[analysis]") {
  auto b = agreeing_cluster();
  b.r.commits[2].state_hash = blake2b("diverged");  // node 1 at position 1
  auto v = check_agreement(b.r, {});
  REQUIRE(v.size() == 1);
  CHECK(v[0].check == "state_hash");
  CHECK(v[0].position == 1u);
}

TEST_CASE("a replica that commits two batches at one position disagrees with itself",
          "[analysis]") {
  auto b = agreeing_cluster();
  b.commit(0, 2, {request(1, 1)}, 500);  // after a restart, differently
  auto v = check_agreement(b.r, {});
  REQUIRE(v.size() == 1);
  CHECK(v[0].position == 2u);
  CHECK(v[0].nodes == std::vector<NodeId>{NodeId(0), NodeId(1), NodeId(2), NodeId(3)});
}

TEST_CASE("validity: a request nobody submitted, or with a changed operation", "[analysis]") {
  auto b = agreeing_cluster();
  b.commit(1, 3, {request(7, 1)});
  b.commit(2, 3, {request(0, 2, /*op=*/9)});
  auto v = check_validity(b.r, {});
  REQUIRE(v.size() == 2);
  CHECK(v[0].message ==
        "replica 1 committed request (client 7, id 1) at position 3, which no client submitted");
  CHECK(v[1].message.find("with an operation its client never sent") != std::string::npos);
  CHECK(check_validity(b.r, CheckScope{{NodeId(1), NodeId(2)}}).empty());
}

TEST_CASE("integrity: one request at two positions; a re-reported commit is fine", "[analysis]") {
  auto b = agreeing_cluster();
  b.commit(3, 2, {request(0, 2)}, 400);  // the same commit reported again after recovery
  CHECK(check_integrity(b.r, {}).empty());
  b.commit(3, 3, {request(0, 1)}, 450);
  auto v = check_integrity(b.r, {});
  REQUIRE(v.size() == 1);
  CHECK(v[0].message == "replica 3 committed request (client 0, id 1) twice, at positions 1 and 3");
  CHECK(v[0].nodes == std::vector<NodeId>{NodeId(3)});
}

TEST_CASE("liveness: pending requests are judged from the start of the window", "[analysis]") {
  RecordBuilder b;
  b.r.end = Time{} + Duration::secs(10);
  b.submit(0, 1, 100, 200);    // done before the window: not judged
  b.submit(0, 2, 1000, 4500);  // pending at 4s, done 0.5s later: fine with bound 1s
  b.submit(1, 1, 5000, 5800);  // fine
  CHECK(check_liveness(b.r, Time{} + Duration::secs(4), Duration::secs(1)).empty());

  b.submit(1, 2, 6000, std::nullopt);  // stuck
  auto v = check_liveness(b.r, Time{} + Duration::secs(4), Duration::secs(1));
  REQUIRE(v.size() == 1);
  CHECK(v[0].check == "liveness");
  CHECK(v[0].message ==
        "request (client 1, id 2) submitted at 6s never completed (bound 1s from 6s)");

  b.submit(2, 1, 9500, std::nullopt);  // deadline after the end: cannot be judged
  CHECK(check_liveness(b.r, Time{} + Duration::secs(4), Duration::secs(1)).size() == 1);
}

TEST_CASE("liveness: no judgeable request means liveness was not shown", "[analysis]") {
  RecordBuilder b;
  b.r.end = Time{} + Duration::secs(3);
  b.submit(0, 1, 100, 200);
  auto v = check_liveness(b.r, Time{} + Duration::secs(1), Duration::secs(1));
  REQUIRE(v.size() == 1);
  CHECK(v[0].check == "liveness_not_shown");
}

TEST_CASE("metrics: commits, latency percentiles, view changes, honest evidence", "[analysis]") {
  auto b = agreeing_cluster();
  b.r.view_changes = {{NodeId(0), 2}, {NodeId(1), 5}, {NodeId(3), 9}};
  b.r.evidence.push_back({Time{}, NodeId(0), NodeId(3), EvidenceEffect::Kind::equivocation, ""});
  b.r.evidence.push_back({Time{}, NodeId(3), NodeId(1), EvidenceEffect::Kind::equivocation, ""});
  auto m = compute_metrics(b.r, CheckScope{{NodeId(3)}});
  CHECK(m.commands_committed == 3);
  CHECK(m.positions_committed == 2);
  CHECK(m.operations_completed == 3);
  CHECK(m.latency_p50 == Duration::millis_(50));
  CHECK(m.latency_p99 == Duration::millis_(60));
  CHECK(m.max_view_changes == 5);                   // node 3 is Byzantine
  CHECK(m.flagged == std::set<NodeId>{NodeId(3)});  // a Byzantine reporter is not believed
}

TEST_CASE("percentile is nearest-rank", "[analysis]") {
  std::vector<Duration> v;
  for (int i = 1; i <= 100; ++i) v.push_back(Duration::millis_(i));
  CHECK(percentile(v, 0.5) == Duration::millis_(50));
  CHECK(percentile(v, 0.99) == Duration::millis_(99));
  CHECK(percentile(v, 1.0) == Duration::millis_(100));
  CHECK(percentile({Duration::millis_(7)}, 0.5) == Duration::millis_(7));
}
