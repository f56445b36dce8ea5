// The sans-I/O client: f+1 matching signed replies from distinct replicas complete a
// request; bad, duplicate, unknown and mismatched replies do not; timeouts retransmit.
#include <catch2/catch.hpp>

#include "protocols/common/client.hpp"
#include "protocols/message.hpp"

using namespace knhk;

namespace {
struct Fixture {
  ClusterKeys keys{CryptoScheme::sim, 99, 4, 2};
  ClientCore client{ClientCoreConfig{ClientId(0), 4, Duration::millis_(100)},
                    std::shared_ptr<const Signer>(keys.signer(Principal::client(ClientId(0)))),
                    keys.verifier()};
  ClientOutput out;

  Reply reply(std::uint32_t replica, RequestId id, Bytes result, ClientId to = ClientId(0)) {
    auto signer = keys.signer(Principal::replica(NodeId(replica)));
    return make_signed_reply(View(0), to, id, NodeId(replica), std::move(result), *signer);
  }
};
const Time t0{};
}  // namespace

TEST_CASE("client: submit signs a request and sends it to every replica", "[sim][client]") {
  Fixture fx;
  const RequestId id = fx.client.submit(t0, Bytes{1, 2, 3}, fx.out);
  REQUIRE(id == RequestId(1));
  REQUIRE(fx.out.to_all_replicas.size() == 1);
  const auto& req = std::get<Request>(fx.out.to_all_replicas[0]->body);
  REQUIRE(req.client == ClientId(0));
  REQUIRE(req.operation == Bytes{1, 2, 3});
  // MAC-authenticated (ClusterKeys signers hold session keys): every replica accepts it.
  for (std::uint32_t i = 0; i < 4; ++i)
    REQUIRE(check_request(req, *fx.keys.signer(Principal::replica(NodeId(i))), *fx.keys.verifier(),
                          4) == RequestAuth::ok);
  REQUIRE(fx.client.outstanding() == 1);
  REQUIRE(fx.client.next_deadline() == t0 + Duration::millis_(100));
  fx.out.clear();
  REQUIRE(fx.client.submit(t0, {}, fx.out) == RequestId(2));
}

TEST_CASE("client: completes at f+1 matching replies from distinct replicas", "[sim][client]") {
  Fixture fx;  // n = 4, f = 1: two matching replies needed
  const RequestId id = fx.client.submit(t0, {7}, fx.out);
  fx.out.clear();
  fx.client.on_reply(t0, fx.reply(0, id, {42}), fx.out);
  REQUIRE(fx.out.completions.empty());
  fx.client.on_reply(t0, fx.reply(0, id, {42}), fx.out);  // same replica again
  REQUIRE(fx.out.completions.empty());
  REQUIRE(fx.client.rejected().at("duplicate_reply") == 1);
  fx.client.on_reply(t0, fx.reply(1, id, {43}), fx.out);  // a different result
  REQUIRE(fx.out.completions.empty());
  const Time later = t0 + Duration::millis_(30);
  fx.client.on_reply(later, fx.reply(2, id, {42}), fx.out);
  REQUIRE(fx.out.completions.size() == 1);
  REQUIRE(fx.out.completions[0].id == id);
  REQUIRE(fx.out.completions[0].result == Bytes{42});
  REQUIRE(fx.out.completions[0].completed == later);
  REQUIRE(fx.client.outstanding() == 0);
  REQUIRE_FALSE(fx.client.next_deadline().has_value());
  // A late reply for the completed request is ignored.
  fx.out.clear();
  fx.client.on_reply(later, fx.reply(3, id, {42}), fx.out);
  REQUIRE(fx.out.completions.empty());
  REQUIRE(fx.client.rejected().at("unknown_request") == 1);
}

TEST_CASE("client: forged, misaddressed and unknown-replica replies are rejected",
          "[sim][client]") {
  Fixture fx;
  const RequestId id = fx.client.submit(t0, {7}, fx.out);
  fx.out.clear();
  Reply forged = fx.reply(1, id, {42});
  forged.replica = NodeId(2);  // claims to come from 2, signed by 1
  fx.client.on_reply(t0, forged, fx.out);
  Reply tampered = fx.reply(3, id, {42});
  tampered.result = {99};
  fx.client.on_reply(t0, tampered, fx.out);
  fx.client.on_reply(t0, fx.reply(0, id, {42}, ClientId(1)), fx.out);
  Reply stranger = fx.reply(1, id, {42});
  stranger.replica = NodeId(9);
  fx.client.on_reply(t0, stranger, fx.out);
  REQUIRE(fx.client.rejected().at("bad_signature") == 2);
  REQUIRE(fx.client.rejected().at("wrong_client") == 1);
  REQUIRE(fx.client.rejected().at("unknown_replica") == 1);
  // One genuine reply so far counts nothing more than itself: still pending.
  fx.client.on_reply(t0, fx.reply(0, id, {42}), fx.out);
  REQUIRE(fx.out.completions.empty());
  fx.client.on_reply(t0, fx.reply(1, id, {42}), fx.out);
  REQUIRE(fx.out.completions.size() == 1);
}

TEST_CASE("client: retransmits to all replicas after request_timeout", "[sim][client]") {
  Fixture fx;
  const RequestId id = fx.client.submit(t0, {7}, fx.out);
  fx.out.clear();
  fx.client.on_timer(t0 + Duration::millis_(99), fx.out);
  REQUIRE(fx.out.to_all_replicas.empty());
  const Time due = t0 + Duration::millis_(100);
  fx.client.on_timer(due, fx.out);
  REQUIRE(fx.out.to_all_replicas.size() == 1);
  REQUIRE(std::get<Request>(fx.out.to_all_replicas[0]->body).id == id);
  REQUIRE(fx.client.next_deadline() == due + Duration::millis_(100));
  fx.out.clear();
  fx.client.on_reply(due, fx.reply(0, id, {1}), fx.out);
  fx.client.on_reply(due, fx.reply(1, id, {1}), fx.out);
  REQUIRE(fx.out.completions.at(0).retransmissions == 1);
}
