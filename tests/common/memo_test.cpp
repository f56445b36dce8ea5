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

TEST_CASE("a DigestMemo returns a stored digest only for the identical input bytes") {
  DigestMemo memo;
  int calls = 0;
  auto hash_of = [&](const Bytes& input) {
    return [&calls, &input] {
      ++calls;
      return blake2b(input);
    };
  };
  const Bytes a{1, 2, 3}, b{1, 2, 4}, prefix{1, 2}, empty{};
  REQUIRE(memo.get(a, hash_of(a)) == blake2b(a));
  REQUIRE(memo.get(a, hash_of(a)) == blake2b(a));  // stored: not computed again
  REQUIRE(calls == 1);
  REQUIRE(memo.get(b, hash_of(b)) == blake2b(b));                 // one byte differs: computed
  REQUIRE(memo.get(prefix, hash_of(prefix)) == blake2b(prefix));  // a prefix: computed
  REQUIRE(memo.get(empty, hash_of(empty)) == blake2b(empty));
  REQUIRE(calls == 4);
  REQUIRE(memo.size() == 4);
  REQUIRE(memo.get(b, hash_of(b)) == blake2b(b));
  REQUIRE(memo.get(empty, hash_of(empty)) == blake2b(empty));
  REQUIRE(calls == 4);

  // Full: a new input is computed every time and not stored; stored ones stay.
  const Bytes c{9};
  REQUIRE(memo.get(c, hash_of(c)) == blake2b(c));
  REQUIRE(memo.get(c, hash_of(c)) == blake2b(c));
  REQUIRE(calls == 6);
  REQUIRE(memo.size() == DigestMemo::kMaxEntries);

  DigestMemo copy = memo;
  REQUIRE(copy.size() == 0);
  REQUIRE(copy.get(a, hash_of(a)) == blake2b(a));
  REQUIRE(calls == 7);
  DigestMemo moved = std::move(memo);
  REQUIRE(moved.size() == 0);
  copy = moved;  // assignment forgets too
  REQUIRE(copy.size() == 0);
  REQUIRE(copy == moved);  // never part of a message's value
}

TEST_CASE("a DigestMemo does not keep inputs longer than its limit") {
  DigestMemo memo;
  int calls = 0;
  const Bytes big(DigestMemo::kMaxInputBytes + 1, 7);
  auto compute = [&] {
    ++calls;
    return blake2b(big);
  };
  REQUIRE(memo.get(big, compute) == blake2b(big));
  REQUIRE(memo.get(big, compute) == blake2b(big));
  REQUIRE(calls == 2);
  REQUIRE(memo.size() == 0);
}
