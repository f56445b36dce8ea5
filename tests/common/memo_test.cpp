// Memo and VerificationMemo: a value derived from an unchanging message is computed once
// per object, a copy computes its own, and a verification is reused only for the verifier
// that made it.
#include <catch2/catch.hpp>

#include "protocols/common/memo.hpp"

using namespace knhk;

TEST_CASE("a Memo computes once per object and a copy starts empty") {
  Memo<int> memo;
  int calls = 0;
  auto compute = [&] { return ++calls * 10; };
  REQUIRE(memo.get(compute) == 10);
  REQUIRE(memo.get(compute) == 10);
  REQUIRE(calls == 1);
  Memo<int> copy = memo;
  REQUIRE(copy.get(compute) == 20);
  REQUIRE(calls == 2);
  copy = memo;  // assignment forgets too
  REQUIRE(copy.get(compute) == 30);
  REQUIRE(memo.get(compute) == 10);
  REQUIRE(memo == copy);  // never part of a message's value
}

TEST_CASE("a VerificationMemo reuses an outcome only for the same verifier") {
  VerificationMemo memo;
  const int verifier_a = 0, verifier_b = 0;
  int checks = 0;
  bool answer = false;
  auto check = [&] {
    ++checks;
    return answer;
  };
  REQUIRE_FALSE(memo.passes(&verifier_a, check));
  answer = true;
  REQUIRE_FALSE(memo.passes(&verifier_a, check));  // remembered, not asked again
  REQUIRE(checks == 1);
  REQUIRE(memo.passes(&verifier_b, check));  // another verifier checks for itself
  REQUIRE(checks == 2);
  VerificationMemo copy = memo;
  answer = false;
  REQUIRE_FALSE(copy.passes(&verifier_b, check));
  REQUIRE(checks == 3);
  REQUIRE(memo.passes(nullptr, check) == false);  // no verifier: never remembered
  REQUIRE(memo.passes(nullptr, check) == false);
  REQUIRE(checks == 5);
}
