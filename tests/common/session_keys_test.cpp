// Ed25519SessionKeys derives every key it serves when constructed (no cache filled on
// first use, no lock): keys exist between a client and a replica only, both ends agree,
// and an unknown or same-kind peer has none.
#include <catch2/catch.hpp>

#include <algorithm>

#include "protocols/common/crypto.hpp"
#include "protocols/common/session_keys.hpp"

using namespace knhk;

namespace {

Ed25519KeyPair pair_for(std::uint8_t seed) {
  std::array<std::uint8_t, 32> s{};
  s.fill(seed);
  return ed25519_keypair_from_seed(s);
}

}  // namespace

TEST_CASE("ed25519 session keys: client-replica pairs only, agreed by both ends",
          "[session_keys]") {
  const Principal r0 = Principal::replica(NodeId(0)), r1 = Principal::replica(NodeId(1));
  const Principal c0 = Principal::client(ClientId(0)), c1 = Principal::client(ClientId(1));
  std::map<Principal, Ed25519KeyPair> pairs{
      {r0, pair_for(1)}, {r1, pair_for(2)}, {c0, pair_for(3)}, {c1, pair_for(4)}};
  std::map<Principal, std::array<std::uint8_t, 32>> directory;
  for (const auto& [p, kp] : pairs) directory[p] = kp.public_key;
  std::array<std::uint8_t, 32> invalid{};  // not a point: its owner gets no key
  invalid.fill(0xff);
  directory[Principal::client(ClientId(9))] = invalid;

  const Ed25519SessionKeys at_r0(r0, pairs.at(r0), directory);
  const Ed25519SessionKeys at_c1(c1, pairs.at(c1), directory);
  const Bytes msg{1, 2, 3};
  auto from_c1 = at_c1.mac(r0, msg);
  REQUIRE(from_c1);
  CHECK(at_r0.check(c1, msg, *from_c1));
  CHECK(at_r0.mac(c1, msg) == from_c1);
  CHECK(at_r0.mac(c0, msg) != from_c1);  // another pair, another key
  // Same kind, unknown, invalid key: no MAC, and checks fail.
  CHECK_FALSE(at_r0.mac(r1, msg));
  CHECK_FALSE(at_c1.mac(c0, msg));
  CHECK_FALSE(at_r0.mac(Principal::client(ClientId(5)), msg));
  CHECK_FALSE(at_r0.mac(Principal::client(ClientId(9)), msg));
  CHECK_FALSE(at_r0.check(r1, msg, *from_c1));
}

TEST_CASE("SessionKeys::check refuses a MAC that differs in any one byte") {
  auto client = make_sim_session_keys(7, Principal::client(ClientId(3)));
  auto replica = make_sim_session_keys(7, Principal::replica(NodeId(1)));
  const std::vector<std::uint8_t> body{1, 2, 3, 4, 5};
  const Mac good = *client->mac(Principal::replica(NodeId(1)), body);
  REQUIRE(replica->check(Principal::client(ClientId(3)), body, good));
  for (std::size_t i = 0; i < good.size(); ++i) {
    Mac bad = good;
    bad[i] ^= 0x40;
    REQUIRE_FALSE(replica->check(Principal::client(ClientId(3)), body, bad));
  }
}

// The bytes of a sim signature and a sim MAC are pinned: they go into batch digests, so a
// run's digests would otherwise depend on the host's byte order (they were copied from
// integers in host order until 2026-11-26; these are the little-endian values x86 gave).
TEST_CASE("sim signatures and MACs have fixed bytes on every host (known answers)") {
  const std::uint8_t knhk[] = {'k', 'n', 'h', 'k'};
  const Signature sig = SimKeyRing(7).signer(Principal::replica(NodeId(2)))->sign(knhk);
  const std::array<std::uint8_t, 8> sig_bytes = {0x7a, 0xb1, 0x85, 0xbf, 0x84, 0x1a, 0x16, 0xf6};
  CHECK(std::equal(sig_bytes.begin(), sig_bytes.end(), sig.begin()));

  const Mac expected = {0xfb, 0xa4, 0x1e, 0x3e, 0x88, 0x16, 0xa4, 0xe1,
                        0x2e, 0xd6, 0xbc, 0x15, 0xe5, 0xf1, 0x78, 0x8e};
  const auto client = make_sim_session_keys(7, Principal::client(ClientId(3)));
  const auto replica = make_sim_session_keys(7, Principal::replica(NodeId(1)));
  CHECK(client->mac(Principal::replica(NodeId(1)), knhk) == expected);
  CHECK(replica->mac(Principal::client(ClientId(3)), knhk) ==
        expected);  // the pair key is symmetric
  CHECK(replica->check(Principal::client(ClientId(3)), knhk, expected));
}
