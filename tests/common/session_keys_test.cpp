// Ed25519SessionKeys derives every key it serves when constructed (no cache filled on
// first use, no lock): keys exist between a client and a replica only, both ends agree,
// and an unknown or same-kind peer has none.
#include <catch2/catch.hpp>

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
