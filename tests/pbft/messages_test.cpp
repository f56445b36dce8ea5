// PBFT message codec and signatures: every message type round-trips through the outer
// wire format, truncations are rejected, and a signature covers every field.
#include <catch2/catch.hpp>

#include "pbft_test_util.hpp"
#include "protocols/message.hpp"

using namespace knhk;
using namespace knhk::pbft;
using namespace knhk::pbft::test;

namespace {

std::vector<pbft::Message> one_of_each(const Keys& k) {
  Batch b{request(k, 1, 1, "put a 1"), request(k, 2, 7, "get a")};
  auto pp = pre_prepare(k, View(2), Seq(5), b, 2);
  auto p1 = prepare(k, pp, 1), p3 = prepare(k, pp, 3);
  auto cp = signed_by(Checkpoint{Seq(4), blake2b(std::string("s")), NodeId(1), {}}, k);
  ViewChange vc{View(3),   Seq(4), cp.state_hash, {cp}, {PreparedCertificate{pp, {p1, p3}}},
                NodeId(1), {}};
  vc = signed_by(vc, k);
  NewView nv{View(3), {vc}, {pre_prepare(k, View(3), Seq(5), {}, 3)}, NodeId(3), {}};
  nv = signed_by(nv, k);
  StateRequest sr = signed_by(StateRequest{View(1), Seq(9), NodeId(2), {}}, k);
  StateResponse resp;
  resp.checkpoint = CheckpointTransfer{Seq(4), cp.state_hash, {cp}, Bytes{1, 2, 3}};
  resp.entries.push_back(CommittedEntry{pp, {commit(k, pp, 1), commit(k, pp, 3)}});
  resp.new_view = nv;
  resp.replica = NodeId(0);
  resp = signed_by(resp, k);
  return {pp, p1, commit(k, pp, 3), cp, vc, nv, sr, resp};
}

}  // namespace

TEST_CASE("pbft messages round-trip through the outer wire format") {
  Keys k;
  std::set<std::string> names;
  for (const auto& m : one_of_each(k)) {
    knhk::Message outer{m};
    auto bytes = encode(outer);
    auto back = decode_message(bytes);
    REQUIRE(back);
    REQUIRE(std::get<pbft::Message>(back.value->body) == m);
    REQUIRE(verify(std::get<pbft::Message>(back.value->body), *k.verifier()));
    names.insert(std::string(type_name(outer)));
    // Every strict prefix is rejected, never crashes.
    for (std::size_t cut = 0; cut < bytes.size(); cut += 7)
      REQUIRE_FALSE(decode_message(std::span(bytes.data(), cut)));
    // Trailing bytes are rejected.
    bytes.push_back(0);
    REQUIRE_FALSE(decode_message(bytes));
  }
  REQUIRE(names.size() == 8);
  REQUIRE(names.count("pbft.pre_prepare") == 1);
  REQUIRE(names.count("pbft.state_response") == 1);
}

TEST_CASE("a pbft signature covers the fields and the signer") {
  Keys k;
  auto pp = pre_prepare(k, View(0), Seq(1), {request(k, 1, 1)}, 0);
  REQUIRE(verify(pp, *k.verifier()));
  auto moved = pp;
  moved.seq = Seq(2);
  REQUIRE_FALSE(verify(moved, *k.verifier()));
  auto other = pp;
  other.replica = NodeId(1);  // claims another sender
  REQUIRE_FALSE(verify(other, *k.verifier()));
  // A Byzantine node can re-sign a mutated message only as itself.
  sign(other, *k.replica(1));
  REQUIRE(verify(other, *k.verifier()));
  pbft::Message m = moved;
  sign(m, *k.replica(0));
  REQUIRE(verify(m, *k.verifier()));
  REQUIRE(sender(m) == NodeId(0));
}

TEST_CASE("a forged sequence length cannot make the decoder allocate") {
  Writer w;
  w.u8(3);     // pbft family
  w.u8(0x36);  // new-view
  w.u64(1);
  w.u32(1u << 20);  // a million view-changes, with no bytes behind them
  auto back = decode_message(w.bytes());
  REQUIRE_FALSE(back);
}

TEST_CASE("PbftConfig: n >= 4, f and quorums") {
  ProtocolParams p;
  p.nodes = 3;
  REQUIRE_THROWS_AS(make_config(p), InvalidValidatorSetError);
  p.nodes = 4;
  auto c = make_config(p);
  REQUIRE((c.f == 1 && c.quorum == 3 && c.weak_quorum == 2));
  p.nodes = 7;
  c = make_config(p);
  REQUIRE((c.f == 2 && c.quorum == 5 && c.weak_quorum == 3));
  REQUIRE(c.primary(View(9)) == NodeId(2));
  p.log_window = p.checkpoint_interval - 1;
  REQUIRE_THROWS_AS(make_config(p), InvalidValidatorSetError);
  Keys k;
  p = small_params(3);
  REQUIRE_THROWS_AS(make(p, 0, k), InvalidValidatorSetError);
}

TEST_CASE("a pre-prepare's memoised encoding and batch digest are those computed afresh") {
  Keys k;
  Batch b{request(k, 1, 1, "put a 1"), request(k, 2, 7, "get a"), request(k, 3, 2, "put b 22")};
  const PrePrepare pp = pre_prepare(k, View(2), Seq(5), b, 2);
  Writer w;
  encode(w, pp);
  const EncodedPrePrepare& e = encoded(pp);
  REQUIRE(e.bytes == w.bytes());
  Writer batch_only;
  encode(batch_only, pp.batch);
  REQUIRE(std::equal(e.batch().begin(), e.batch().end(), batch_only.bytes().begin(),
                     batch_only.bytes().end()));
  REQUIRE(checked_batch_digest(pp) == batch_digest(pp.batch));
  REQUIRE(&encoded(pp) == &e);  // computed once per object

  SECTION("a copy that is then altered computes its own values") {
    PrePrepare forged = pp;
    forged.batch.pop_back();
    forged.view = View(3);
    REQUIRE(checked_batch_digest(forged) == batch_digest(forged.batch));
    REQUIRE(checked_batch_digest(forged) != checked_batch_digest(pp));
    Writer again;
    encode(again, forged);
    REQUIRE(encoded(forged).bytes == again.bytes());
    REQUIRE(forged != pp);
    REQUIRE(PrePrepare(pp) == pp);  // the memo takes no part in comparisons
  }
}

TEST_CASE("the durable checkpoint record holds encode_checkpoint_transfer's bytes") {
  Keys k;
  auto cp1 = signed_by(Checkpoint{Seq(128), blake2b(std::string("s")), NodeId(1), {}}, k);
  auto cp2 = signed_by(Checkpoint{Seq(128), blake2b(std::string("s")), NodeId(2), {}}, k);
  Bytes snapshot(3000);
  for (std::size_t i = 0; i < snapshot.size(); ++i) snapshot[i] = static_cast<std::uint8_t>(i * 31);
  Writer w;
  encode_checkpoint_transfer(w, Seq(128), cp1.state_hash, {cp1, cp2}, snapshot);
  REQUIRE(checkpoint_transfer_record(Seq(128), cp1.state_hash, {cp1, cp2}, snapshot) == w.bytes());
  Writer empty;
  encode_checkpoint_transfer(empty, Seq(0), Digest{}, {}, {});
  REQUIRE(checkpoint_transfer_record(Seq(0), Digest{}, {}, {}) == empty.bytes());
}

TEST_CASE("encoded_size of a list of prepares is the size encode writes, and the list decodes") {
  Keys k;
  auto pp = pre_prepare(k, View(2), Seq(9), {request(k, 1, 1)}, 2);
  std::vector<Prepare> prepares;
  for (std::uint32_t who = 0; who <= 7; ++who) {
    Writer w;
    encode(w, prepares);
    CHECK(w.bytes().size() == encoded_size(prepares));
    Reader r(w.bytes());
    CHECK(decode_prepares(r) == prepares);
    prepares.push_back(prepare(k, pp, who % 4));
  }
}
