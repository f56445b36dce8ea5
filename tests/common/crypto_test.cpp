// Digests and the two signature schemes.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "protocols/common/crypto.hpp"
#include "protocols/common/digest.hpp"
#include "tests/common/generators.hpp"

using namespace knhk;
namespace gen = knhk::testing::gen;

TEST_CASE("BLAKE2b-256 known answers") {
  // RFC 7693 BLAKE2b with a 32-byte output (as Python's hashlib.blake2b(digest_size=32)).
  CHECK(blake2b(std::string()).hex() ==
        "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  CHECK(blake2b(std::string("abc")).hex() ==
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  Hasher h;
  h.update(std::string("a"));
  h.update(std::string("bc"));
  CHECK(h.finish() == blake2b(std::string("abc")));
  Hasher e;
  CHECK(e.finish().hex() == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  CHECK(blake2b(std::string("abc")).short_hex() == "bddd813c6342");  // the first 12 digits
}

TEST_CASE("Hasher: incremental hashing equals one-shot hashing") {
  rc::prop("any split of the input", [] {
    auto data = *gen::bytes(300);
    auto cut = *rc::gen::inRange<std::size_t>(0, data.size() + 1);
    Hasher h;
    h.update(std::span(data.data(), cut));
    h.update(std::span(data.data() + cut, data.size() - cut));
    RC_ASSERT(h.finish() == blake2b(data));
  });
  Hasher h;
  h.update_u64(0x0102030405060708ULL);
  CHECK(h.finish() == blake2b(Bytes{8, 7, 6, 5, 4, 3, 2, 1}));
}

namespace {

// The rejections every scheme must make.
void check_scheme(const ClusterKeys& keys) {
  auto alice = Principal::replica(NodeId(1));
  auto bob = Principal::replica(NodeId(2));
  auto client = Principal::client(ClientId(1));
  auto verifier = keys.verifier();
  rc::prop("verify accepts only the signer's signature over the same message", [&] {
    auto msg = *gen::bytes(200);
    auto sig = keys.signer(alice)->sign(msg);
    RC_ASSERT(verifier->verify(alice, msg, sig));
    RC_ASSERT(!verifier->verify(bob, msg, sig));
    RC_ASSERT(!verifier->verify(client, msg, sig));
    RC_ASSERT(!verifier->verify(alice, msg, keys.signer(bob)->sign(msg)));
    auto modified = msg;
    if (modified.empty())
      modified.push_back(0);
    else
      modified[*rc::gen::inRange<std::size_t>(0, modified.size())] ^= 0x01;
    RC_ASSERT(!verifier->verify(alice, modified, sig));
    auto random_sig = *gen::signature();
    RC_PRE(random_sig != sig);
    RC_ASSERT(!verifier->verify(alice, msg, random_sig));
  });
}

}  // namespace

TEST_CASE("sim signatures reject other principals, modified messages, random signatures") {
  check_scheme(ClusterKeys(CryptoScheme::sim, 42, 4, 2));
}

TEST_CASE("ed25519 signatures reject other principals, modified messages, random signatures") {
  check_scheme(ClusterKeys(CryptoScheme::ed25519, 42, 4, 2));
  // A principal outside the cluster's key table never verifies.
  ClusterKeys keys(CryptoScheme::ed25519, 42, 4, 2);
  auto outsider = Principal::replica(NodeId(9));
  Bytes msg{1, 2, 3};
  CHECK_FALSE(keys.verifier()->verify(outsider, msg, keys.signer(outsider)->sign(msg)));
}

TEST_CASE("ClusterKeys are deterministic per seed and differ across seeds") {
  Bytes msg{9, 8, 7};
  auto p = Principal::replica(NodeId(3));
  for (auto scheme : {CryptoScheme::sim, CryptoScheme::ed25519}) {
    ClusterKeys a(scheme, 7, 4, 1), b(scheme, 7, 4, 1), c(scheme, 8, 4, 1);
    CHECK(a.signer(p)->sign(msg) == b.signer(p)->sign(msg));
    CHECK(a.signer(p)->sign(msg) != c.signer(p)->sign(msg));
    CHECK(b.verifier()->verify(p, msg, a.signer(p)->sign(msg)));
    CHECK_FALSE(c.verifier()->verify(p, msg, a.signer(p)->sign(msg)));
    CHECK(a.signer(p)->principal() == p);
  }
}

TEST_CASE("keyed_hash64 is XXH3-64 seeded with the key (known answers)") {
  // Every sim signature and MAC depends on these exact values (XXH3 test vectors computed
  // with libxxhash 0.8.1's XXH3_64bits_withSeed).
  std::vector<std::uint8_t> bytes(41);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i);
  const std::uint8_t knhk[] = {'k', 'n', 'h', 'k'};
  CHECK(keyed_hash64(0, {}) == 0x2d06800538d394c2ULL);
  CHECK(keyed_hash64(42, knhk) == 0x4231b9dbe21eb927ULL);
  CHECK(keyed_hash64(0x0123456789abcdefULL, bytes) == 0x4afedaad25e111e9ULL);
}

TEST_CASE("keyed_hash64 depends on the key, the length and every byte") {
  rc::prop("a changed key, byte or length changes the hash", [] {
    const auto key = *rc::gen::arbitrary<std::uint64_t>();
    const auto data = *rc::gen::container<std::vector<std::uint8_t>>(
        *rc::gen::inRange<std::size_t>(1, 130), rc::gen::arbitrary<std::uint8_t>());
    const std::uint64_t h = keyed_hash64(key, data);
    const auto at = *rc::gen::inRange<std::size_t>(0, data.size());
    auto flipped = data;
    flipped[at] ^= static_cast<std::uint8_t>(1u << *rc::gen::inRange(0, 8));
    RC_ASSERT(keyed_hash64(key, flipped) != h);
    RC_ASSERT(keyed_hash64(key ^ (1ULL << *rc::gen::inRange(0, 64)), data) != h);
    auto longer = data;
    longer.push_back(0);
    RC_ASSERT(keyed_hash64(key, longer) != h);
  });
}
