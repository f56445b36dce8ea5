// MAC authenticators on client requests and MACs on replies (session_keys.hpp,
// request.hpp): the same semantics under the sim and the ed25519 schemes, what a replica
// accepts, and what both real protocols count when they refuse a request.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <catch2/catch.hpp>

#include "protocols/common/client.hpp"
#include "protocols/common/request.hpp"
#include "protocols/common/session_keys.hpp"
#include "protocols/factory.hpp"
#include "protocols/message.hpp"
#include "protocols/testing/recording_host.hpp"
#include "tests/common/generators.hpp"

using namespace knhk;
namespace gen = knhk::testing::gen;

namespace {

constexpr std::uint32_t kReplicas = 4;

Principal replica(std::uint32_t i) {
  return Principal::replica(NodeId(i));
}
Principal client(std::uint32_t c) {
  return Principal::client(ClientId(c));
}

Request authenticated(const ClusterKeys& keys, std::uint32_t c, Bytes op = {1, 2, 3}) {
  auto signer = keys.signer(client(c));
  return make_client_request(ClientId(c), RequestId(7), std::move(op), *signer, kReplicas);
}

RequestAuth check_at(const ClusterKeys& keys, std::uint32_t i, const Request& r) {
  return check_request(r, *keys.signer(replica(i)), *keys.verifier(), kReplicas);
}

// The verdicts every replica gives for a fixed list of cases; both schemes must agree.
std::vector<RequestAuth> verdicts(CryptoScheme scheme) {
  ClusterKeys keys(scheme, 5, kReplicas, 3);
  std::vector<Request> cases;
  cases.push_back(authenticated(keys, 1));  // honest
  auto tampered = authenticated(keys, 1);
  tampered.authenticator[2][0] ^= 1;  // entry for replica 2 only
  cases.push_back(tampered);
  auto other_body = authenticated(keys, 1);
  other_body.operation.push_back(9);  // body changed after authenticating
  cases.push_back(other_body);
  auto impostor = authenticated(keys, 2);
  impostor.client = ClientId(1);  // client 2's MACs claimed for client 1
  cases.push_back(impostor);
  auto short_auth = authenticated(keys, 1);
  short_auth.authenticator.pop_back();
  cases.push_back(short_auth);
  auto long_auth = authenticated(keys, 1);
  long_auth.authenticator.push_back(Mac{});
  cases.push_back(long_auth);
  std::vector<RequestAuth> out;
  for (const auto& r : cases)
    for (std::uint32_t i = 0; i < kReplicas; ++i) out.push_back(check_at(keys, i, r));
  return out;
}

}  // namespace

TEST_CASE("session keys: both ends of a pair share a key, no other pair does") {
  for (auto scheme : {CryptoScheme::sim, CryptoScheme::ed25519}) {
    CAPTURE(to_string(scheme));
    ClusterKeys keys(scheme, 11, kReplicas, 3);
    Bytes msg{4, 5, 6};
    auto c1 = keys.signer(client(1));
    auto r2 = keys.signer(replica(2));
    REQUIRE(c1->session_keys());
    REQUIRE(r2->session_keys());
    auto mac = c1->session_keys()->mac(replica(2), msg);
    REQUIRE(mac);
    CHECK(r2->session_keys()->check(client(1), msg, *mac));
    CHECK_FALSE(r2->session_keys()->check(client(2), msg, *mac));
    CHECK_FALSE(keys.signer(replica(3))->session_keys()->check(client(1), msg, *mac));
    CHECK_FALSE(r2->session_keys()->check(client(1), Bytes{4, 5, 7}, *mac));
    // Another seed is another cluster: its keys do not match.
    ClusterKeys other(scheme, 12, kReplicas, 3);
    CHECK_FALSE(other.signer(replica(2))->session_keys()->check(client(1), msg, *mac));
  }
}

TEST_CASE("authenticator: a tampered entry for replica i is rejected by i, accepted by j") {
  for (auto scheme : {CryptoScheme::sim, CryptoScheme::ed25519}) {
    CAPTURE(to_string(scheme));
    ClusterKeys keys(scheme, 3, kReplicas, 2);
    auto honest = authenticated(keys, 1);
    REQUIRE(honest.authenticator.size() == kReplicas);
    for (std::uint32_t i = 0; i < kReplicas; ++i) {
      CHECK(check_at(keys, i, honest) == RequestAuth::ok);
      auto tampered = honest;
      tampered.authenticator[i][kMacBytes - 1] ^= 0x80;
      for (std::uint32_t j = 0; j < kReplicas; ++j)
        CHECK(check_at(keys, j, tampered) == (i == j ? RequestAuth::bad_mac : RequestAuth::ok));
    }
    // The signature-only check cannot vouch for a MAC-authenticated request.
    CHECK_FALSE(verify_request(honest, *keys.verifier()));
  }
}

TEST_CASE("authenticator: a wrong-length authenticator is rejected by every replica") {
  ClusterKeys keys(CryptoScheme::sim, 3, kReplicas, 2);
  auto r = authenticated(keys, 0);
  r.authenticator.resize(kReplicas - 1);
  for (std::uint32_t i = 0; i < kReplicas; ++i)
    CHECK(check_at(keys, i, r) == RequestAuth::bad_authenticator_length);
  r.authenticator.resize(kReplicas + 1);
  for (std::uint32_t i = 0; i < kReplicas; ++i)
    CHECK(check_at(keys, i, r) == RequestAuth::bad_authenticator_length);
  CHECK(std::string(to_string(RequestAuth::bad_authenticator_length)) ==
        "bad_authenticator_length");
}

TEST_CASE("authenticator: the sim and ed25519 schemes give the same verdicts") {
  auto sim = verdicts(CryptoScheme::sim);
  auto real = verdicts(CryptoScheme::ed25519);
  CHECK(sim == real);
  // And the verdicts are the intended ones (4 replicas per case).
  using A = RequestAuth;
  std::vector<A> expected = {A::ok,
                             A::ok,
                             A::ok,
                             A::ok,  // honest
                             A::ok,
                             A::ok,
                             A::bad_mac,
                             A::ok,  // entry 2 tampered
                             A::bad_mac,
                             A::bad_mac,
                             A::bad_mac,
                             A::bad_mac,  // body changed
                             A::bad_mac,
                             A::bad_mac,
                             A::bad_mac,
                             A::bad_mac,  // impostor
                             A::bad_authenticator_length,
                             A::bad_authenticator_length,
                             A::bad_authenticator_length,
                             A::bad_authenticator_length,  // n - 1 entries
                             A::bad_authenticator_length,
                             A::bad_authenticator_length,
                             A::bad_authenticator_length,
                             A::bad_authenticator_length};  // n + 1 entries
  CHECK(sim == expected);
}

TEST_CASE("authenticator: signed requests still verify; MACs need session keys") {
  ClusterKeys keys(CryptoScheme::sim, 3, kReplicas, 2);
  SimKeyRing ring(3);  // its signers hold no session keys
  auto plain_client = ring.signer(client(1));
  REQUIRE_FALSE(plain_client->session_keys());
  auto signed_request =
      make_client_request(ClientId(1), RequestId(1), Bytes{1}, *plain_client, kReplicas);
  CHECK(signed_request.authenticator.empty());
  CHECK(check_request(signed_request, *ring.signer(replica(0)), *ring.verifier(), kReplicas) ==
        RequestAuth::ok);
  signed_request.operation.push_back(2);
  CHECK(check_request(signed_request, *ring.signer(replica(0)), *ring.verifier(), kReplicas) ==
        RequestAuth::bad_signature);
  // A replica without session keys cannot check a MAC.
  CHECK(check_request(authenticated(keys, 1), *ring.signer(replica(0)), *ring.verifier(),
                      kReplicas) == RequestAuth::no_session_keys);
  // Nor can a client pretend to be replica 0.
  CHECK(check_request(authenticated(keys, 1), *keys.signer(client(0)), *keys.verifier(),
                      kReplicas) == RequestAuth::no_session_keys);
}

TEST_CASE("reply MAC: only the addressed client accepts it, and only unchanged") {
  for (auto scheme : {CryptoScheme::sim, CryptoScheme::ed25519}) {
    CAPTURE(to_string(scheme));
    ClusterKeys keys(scheme, 9, kReplicas, 3);
    auto reply = make_reply(View(2), ClientId(1), RequestId(5), NodeId(3), Bytes{8, 8},
                            *keys.signer(replica(3)));
    REQUIRE(reply.mac);
    auto c1 = keys.signer(client(1));
    CHECK(check_reply(reply, *c1, *keys.verifier()));
    CHECK_FALSE(verify_reply(reply, *keys.verifier()));  // not a signature
    CHECK_FALSE(check_reply(reply, *keys.signer(client(2)), *keys.verifier()));
    auto changed = reply;
    changed.result = Bytes{8, 9};
    CHECK_FALSE(check_reply(changed, *c1, *keys.verifier()));
    auto other_sender = reply;
    other_sender.replica = NodeId(2);  // replica 3's MAC claimed by replica 2
    CHECK_FALSE(check_reply(other_sender, *c1, *keys.verifier()));
    // A signed reply is still checked by its signature.
    auto signed_reply = make_signed_reply(View(2), ClientId(1), RequestId(5), NodeId(3),
                                          Bytes{8, 8}, *keys.signer(replica(3)));
    CHECK_FALSE(signed_reply.mac);
    CHECK(check_reply(signed_reply, *c1, *keys.verifier()));
  }
}

TEST_CASE("ClientCore: MAC-authenticated requests out, MAC replies in, bad MACs counted") {
  ClusterKeys keys(CryptoScheme::sim, 4, kReplicas, 2);
  ClientCore core(ClientCoreConfig{ClientId(1), kReplicas},
                  std::shared_ptr<const Signer>(keys.signer(client(1))), keys.verifier());
  ClientOutput out;
  RequestId id = core.submit(Time{}, Bytes{1}, out);
  REQUIRE(out.to_all_replicas.size() == 1);
  const auto& request = std::get<Request>(out.to_all_replicas[0]->body);
  REQUIRE(request.authenticator.size() == kReplicas);
  for (std::uint32_t i = 0; i < kReplicas; ++i)
    CHECK(check_at(keys, i, request) == RequestAuth::ok);
  auto reply_from = [&](std::uint32_t i) {
    return make_reply(View(0), ClientId(1), id, NodeId(i), Bytes{4}, *keys.signer(replica(i)));
  };
  auto forged = reply_from(0);
  (*forged.mac)[0] ^= 1;
  out.clear();
  core.on_reply(Time{}, forged, out);
  CHECK(core.rejected().at("bad_mac") == 1);
  core.on_reply(Time{}, reply_from(1), out);
  CHECK(out.completions.empty());
  core.on_reply(Time{}, reply_from(2), out);  // f + 1 = 2 matching replies
  REQUIRE(out.completions.size() == 1);
  CHECK(out.completions[0].result == Bytes{4});
}

// Both protocols count a refused request by reason, and never act on it.
TEST_CASE("replicas count MAC rejections by reason (PBFT and HotStuff)") {
  for (auto kind : {ProtocolKind::pbft, ProtocolKind::hotstuff}) {
    CAPTURE(static_cast<int>(kind));
    ClusterKeys keys(CryptoScheme::sim, 21, kReplicas, 2);
    ProtocolParams params;
    params.kind = kind;
    params.batch_size = 1;
    ReplicaSetup setup{params, NodeId(0), keys.signer(replica(0)), keys.verifier()};
    knhk::testing::RecordingHost host(make_replica(setup));
    host.start();
    auto total_rejected = [&] {
      std::uint64_t n = 0;
      for (const auto& [reason, count] : host.replica().status().rejected) n += count;
      return n;
    };
    auto proposals = [&](const std::vector<Effect>& effects) {
      return knhk::testing::RecordingHost::sent<pbft::PrePrepare>(effects).size() +
             knhk::testing::RecordingHost::sent<hotstuff::Proposal>(effects).size();
    };
    std::uint64_t before = total_rejected();
    auto wrong_length = authenticated(keys, 1);
    wrong_length.authenticator.pop_back();
    CHECK(proposals(host.client_request(wrong_length)) == 0);
    auto bad_entry = authenticated(keys, 1);
    bad_entry.authenticator[0][3] ^= 4;
    CHECK(proposals(host.client_request(bad_entry)) == 0);
    {
      const auto& rejected = host.replica().status().rejected;
      REQUIRE(rejected.count("bad_authenticator_length"));
      CHECK(rejected.at("bad_authenticator_length") == 1);
      REQUIRE(rejected.count("bad_request_mac"));
      CHECK(rejected.at("bad_request_mac") == 1);
      CHECK(total_rejected() == before + 2);
    }
    auto others_entry = authenticated(keys, 1);
    others_entry.authenticator[1][3] ^= 4;  // not ours: replica 0 accepts it
    host.client_request(others_entry);
    CHECK(total_rejected() == before + 2);
    if (kind == ProtocolKind::pbft) {  // the primary of view 0 proposes it at once
      auto pps = knhk::testing::RecordingHost::sent<pbft::PrePrepare>(host.last());
      REQUIRE(pps.size() == 1);
      CHECK(pps[0].batch.at(0) == others_entry);
    }
  }
}

TEST_CASE("request decoding: authenticated encodings round-trip, garbage never crashes") {
  rc::prop("encode/decode round trip of authenticated requests", [] {
    auto r = *gen::request();
    Writer w;
    encode(w, r);
    Reader in(w.bytes());
    RC_ASSERT(decode_request(in) == r);
    RC_ASSERT(in.remaining() == 0);
  });
  rc::prop("random bytes after a valid body and the MAC kind byte", [] {
    Writer w;
    encode_body(w, Request{ClientId(1), RequestId(2), *gen::bytes(8), {}, {}});
    w.u8(1);  // MAC-authenticated
    auto tail = *gen::bytes(200);
    if (*rc::gen::arbitrary<bool>()) {  // often a plausible count
      Writer count;
      count.u32(*rc::gen::inRange<std::uint32_t>(0, 12));
      tail.insert(tail.begin(), count.bytes().begin(), count.bytes().end());
    }
    w.raw(tail);
    Reader in(w.bytes());
    try {
      Request q = decode_request(in);
      // Accepted only canonically: re-encoding gives back exactly what was read.
      Writer again;
      encode(again, q);
      RC_ASSERT(std::equal(again.bytes().begin(), again.bytes().end(), w.bytes().begin()));
      RC_ASSERT(!q.authenticator.empty());
      RC_ASSERT(q.authenticator.size() <= kMaxAuthenticatorEntries);
    } catch (const DecodeError&) {
    }
  });
  rc::prop("every truncation of an authenticated request fails", [] {
    auto r = *gen::request();
    Writer w;
    encode(w, r);
    auto cut = *rc::gen::inRange<std::size_t>(0, w.bytes().size());
    Reader in(std::span(w.bytes().data(), cut));
    RC_ASSERT_THROWS_AS(decode_request(in), DecodeError);
  });
}

TEST_CASE("request decoding: empty, oversized and unknown authenticators are refused") {
  auto prefix = [] {
    Writer w;
    encode_body(w, Request{ClientId(1), RequestId(2), Bytes{}, {}, {}});
    return w;
  };
  Writer empty = prefix();
  empty.u8(1);
  empty.u32(0);  // no entries: not the canonical form of anything
  Reader a(empty.bytes());
  CHECK_THROWS_AS(decode_request(a), DecodeError);
  Writer huge = prefix();
  huge.u8(1);
  huge.u32(kMaxAuthenticatorEntries + 1);
  huge.raw(Bytes((kMaxAuthenticatorEntries + 1) * kMacBytes, 0));
  Reader b(huge.bytes());
  CHECK_THROWS_AS(decode_request(b), DecodeError);
  Writer kind = prefix();
  kind.u8(2);
  kind.raw(Bytes(64, 0));
  Reader c(kind.bytes());
  CHECK_THROWS_AS(decode_request(c), DecodeError);
}
