// Writer on caller-provided scratch (StackWriter) and the encoders that use it to sign, MAC,
// verify and hash without a reused buffer: the bytes must be exactly a plain Writer's, before
// and after the scratch overflows onto the heap.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "protocols/common/session_keys.hpp"
#include "protocols/pbft/messages.hpp"
#include "tests/common/alloc_tracker.hpp"
#include "tests/common/generators.hpp"

using namespace knhk;
namespace gen = knhk::testing::gen;

namespace {

struct Field {
  int kind;
  std::uint64_t number;
  Bytes data;
};

void write(Writer& w, const Field& f) {
  switch (f.kind) {
    case 0:
      w.u8(static_cast<std::uint8_t>(f.number));
      break;
    case 1:
      w.u32(static_cast<std::uint32_t>(f.number));
      break;
    case 2:
      w.u64(f.number);
      break;
    case 3:
      w.bytes(f.data);
      break;
    default:
      w.raw(f.data);
  }
}

rc::Gen<std::vector<Field>> fields() {
  return rc::gen::container<std::vector<Field>>(rc::gen::apply(
      [](int kind, std::uint64_t number, Bytes data) {
        return Field{kind, number, data};
      },
      rc::gen::inRange(0, 5), rc::gen::arbitrary<std::uint64_t>(), gen::bytes(40)));
}

Bytes to_bytes(std::span<const std::uint8_t> s) {
  return Bytes(s.begin(), s.end());
}

// A request whose operation may be far longer than the encoders' stack buffers.
rc::Gen<Request> request_of_any_size() {
  return rc::gen::apply(
      [](Request r, Bytes op) {
        r.operation = std::move(op);
        return r;
      },
      gen::request(), gen::bytes(1200));
}

Bytes reference_body(const Request& r) {
  Writer w;
  encode_body(w, r);
  return w.take();
}

}  // namespace

TEST_CASE("codec: a StackWriter writes what a Writer writes, before and after it spills") {
  rc::prop("same bytes through view(), bytes(), more writes and take()", [] {
    const auto first = *fields();
    const auto second = *fields();
    StackWriter<16> small;
    Writer plain;
    for (const auto& f : first) {
      write(small, f);
      write(plain, f);
    }
    RC_ASSERT(to_bytes(small.view()) == plain.bytes());
    RC_ASSERT(small.bytes() == plain.bytes());
    RC_ASSERT(small.size() == plain.size());
    for (const auto& f : second) {  // writing on after bytes() moved the writer to the heap
      write(small, f);
      write(plain, f);
    }
    RC_ASSERT(to_bytes(small.view()) == plain.bytes());
    const Bytes expected = plain.bytes();
    RC_ASSERT(small.take() == expected);
    RC_ASSERT(small.size() == 0u);
    small.u32(7);
    RC_ASSERT(to_bytes(small.view()) == (Bytes{7, 0, 0, 0}));
  });
}

TEST_CASE("codec: a StackWriter allocates only once its bytes outgrow it") {
  if (!knhk::testing::alloc_tracking_supported()) return;
  const Bytes fill(60, 0xab);
  StackWriter<64> w;
  {
    knhk::testing::AllocTracking tracking;
    w.u32(static_cast<std::uint32_t>(fill.size()));
    w.raw(fill);
    CHECK(w.size() == 64u);
    CHECK(tracking.stats().total == 0u);
  }
  knhk::testing::AllocTracking tracking;
  w.u8(1);  // the 65th byte moves the bytes to the heap
  CHECK(tracking.stats().total > 0u);
  Bytes expected(65, 0xab);  // length 60 (u32 LE), the 60 fill bytes, then 1
  expected[0] = 60;
  expected[1] = expected[2] = expected[3] = 0;
  expected[64] = 1;
  CHECK(to_bytes(w.view()) == expected);
}

TEST_CASE("codec: a copy or move of a writer on scratch keeps its own bytes") {
  StackWriter<32> w;
  w.u64(0x0102030405060708u);
  Writer copy = w;
  Writer moved = std::move(static_cast<Writer&>(w));
  w.clear();
  w.u64(0);  // overwrites the scratch the copies must not share
  const Bytes expected{8, 7, 6, 5, 4, 3, 2, 1};
  CHECK(copy.bytes() == expected);
  CHECK(moved.bytes() == expected);
  moved.u8(9);
  CHECK(moved.size() == 9u);
  CHECK(moved.bytes().back() == 9);
}

TEST_CASE("request: batch_digest is BLAKE2b of the batch's encoding, for requests of any size") {
  rc::prop("equals the one-buffer reference", [] {
    const auto batch =
        *rc::gen::container<Batch>(*rc::gen::inRange<std::size_t>(0, 6), request_of_any_size());
    Writer w;
    encode(w, batch);
    RC_ASSERT(batch_digest(batch) == blake2b(w.bytes()));
  });
}

TEST_CASE("request: signatures and MACs cover exactly the body, for operations of any size") {
  const ClusterKeys keys(CryptoScheme::sim, 11, 4, 2);
  const ClientId client(1);
  const Principal me = Principal::client(client);
  const auto signer = keys.signer(me);
  REQUIRE(signer->session_keys() != nullptr);
  rc::prop("each entry is the MAC of the reference body", [&] {
    Request r = *request_of_any_size();
    r.client = client;
    const Request sent =
        make_authenticated_request(client, r.id, r.operation, *signer->session_keys(), 4);
    const Bytes body = reference_body(sent);
    RC_ASSERT(sent.authenticator.size() == 4u);
    for (std::uint32_t i = 0; i < 4; ++i)
      RC_ASSERT(sent.authenticator[i] ==
                *signer->session_keys()->mac(Principal::replica(NodeId(i)), body));
    const Request signed_request = make_signed_request(client, r.id, r.operation, *signer);
    RC_ASSERT(signed_request.signature == signer->sign(body));
    RC_ASSERT(verify_request(signed_request, *keys.verifier()));
  });
}

TEST_CASE("pbft: a VIEW-CHANGE larger than verify()'s stack buffer verifies, and not if altered") {
  const ClusterKeys keys(CryptoScheme::sim, 12, 4, 1);
  const NodeId sender(2);
  const auto signer = keys.signer(Principal::replica(sender));
  rc::prop("genuine verifies; a changed first or last field does not", [&] {
    pbft::ViewChange vc;
    vc.new_view = View(*rc::gen::inRange<std::uint64_t>(1, 100));
    vc.stable_seq = Seq(0);
    vc.stable_certificate = *rc::gen::container<std::vector<pbft::Checkpoint>>(
        *rc::gen::inRange<std::size_t>(1, 8), gen::pbft_checkpoint());
    vc.replica = sender;
    pbft::sign(vc, *signer);
    RC_ASSERT(pbft::verify(vc, *keys.verifier()));
    pbft::ViewChange later_view = vc;
    later_view.new_view = View(vc.new_view.value + 1);
    RC_ASSERT(!pbft::verify(later_view, *keys.verifier()));
    pbft::ViewChange other_hash = vc;
    other_hash.stable_certificate.back().state_hash.bytes[0] ^= 1;
    RC_ASSERT(!pbft::verify(other_hash, *keys.verifier()));
  });
}
