#include <catch2/catch.hpp>

#include "sim/verify_cache.hpp"

using namespace knhk;
using knhk::sim::VerifyCache;

namespace {

// Accepts a signature whose first byte equals the message's first byte; counts its calls.
class CountingVerifier final : public Verifier {
 public:
  bool verify(Principal, std::span<const std::uint8_t> message,
              const Signature& sig) const override {
    ++calls;
    return !message.empty() && sig[0] == message[0];
  }
  mutable int calls = 0;
};

Signature signature_starting(std::uint8_t b) {
  Signature s{};
  s[0] = b;
  return s;
}

}  // namespace

TEST_CASE("VerifyCache asks the wrapped verifier once per distinct signed message") {
  auto inner = std::make_shared<CountingVerifier>();
  VerifyCache cache(inner);
  const Bytes message{7, 1, 2, 3};
  const Principal alice = Principal::replica(NodeId(1));

  CHECK(cache.verify(alice, message, signature_starting(7)));
  CHECK(cache.verify(alice, message, signature_starting(7)));
  CHECK(inner->calls == 1);
  CHECK(cache.hits() == 1);

  SECTION("a different signature, signer or message is checked on its own") {
    CHECK_FALSE(cache.verify(alice, message, signature_starting(8)));
    CHECK(cache.verify(Principal::client(ClientId(1)), message, signature_starting(7)));
    const Bytes mutated{7, 1, 2, 4};
    CHECK(cache.verify(alice, mutated, signature_starting(7)));
    CHECK(inner->calls == 4);
    // ...and a remembered rejection stays a rejection.
    CHECK_FALSE(cache.verify(alice, message, signature_starting(8)));
    CHECK(inner->calls == 4);
  }
}

TEST_CASE("VerifyCache starts over at its capacity and keeps answering correctly") {
  auto inner = std::make_shared<CountingVerifier>();
  VerifyCache cache(inner, 2);
  const Principal p = Principal::replica(NodeId(0));
  for (std::uint8_t b = 1; b <= 3; ++b) CHECK(cache.verify(p, Bytes{b}, signature_starting(b)));
  CHECK(inner->calls == 3);
  CHECK(cache.verify(p, Bytes{3}, signature_starting(3)));  // kept after the reset
  CHECK(inner->calls == 3);
  CHECK(cache.verify(p, Bytes{1}, signature_starting(1)));  // forgotten: asked again
  CHECK(inner->calls == 4);
}
