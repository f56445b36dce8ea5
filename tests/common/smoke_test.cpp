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
