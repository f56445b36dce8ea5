#include <catch2/catch.hpp>

#include "protocols/message.hpp"

using namespace knhk;

TEST_CASE("a request round-trips through the message codec") {
  SimKeyRing keys(7);
  auto signer = keys.signer(Principal::client(ClientId(3)));
  auto req = make_signed_request(ClientId(3), RequestId(9), Bytes{1, 2, 3}, *signer);
  Message m{req};
  auto bytes = encode(m);
  auto back = decode_message(bytes);
  REQUIRE(back);
  REQUIRE(std::get<Request>(back.value->body) == req);
  REQUIRE(verify_request(std::get<Request>(back.value->body), *keys.verifier()));
}

#include "protocols/testing/recording_host.hpp"

namespace {
class EchoReplica : public Replica {
 public:
  void step(Time, const Input& in, Effects& out) override {
    if (auto* m = std::get_if<MessageInput>(&in)) out.send(m->from, m->msg);
  }
  ReplicaStatus status() const override { return {}; }
};
}  // namespace

TEST_CASE("the recording host returns the effects of each input") {
  testing::RecordingHost host(std::make_unique<EchoReplica>());
  host.start();
  auto& effects =
      host.deliver(NodeId(2), pbft::Message{pbft::Prepare{View(5), Seq(1), {}, NodeId(2)}});
  auto sent = testing::RecordingHost::sent<pbft::Prepare>(effects);
  REQUIRE(sent.size() == 1);
  REQUIRE(sent[0].view == View(5));
}
