// Properties of the canonical codec (issue 2): round trips, canonicality of whatever the
// decoder accepts, no crash on random or mutated input, bounded allocation.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "tests/common/alloc_tracker.hpp"
#include "tests/common/generators.hpp"

using namespace knhk;
namespace gen = knhk::testing::gen;

namespace {

template <class T, class Decode>
T round_trip(const T& value, Decode decode) {
  Writer w;
  encode(w, value);
  Reader r(w.bytes());
  T back = decode(r);
  RC_ASSERT(r.at_end());
  return back;
}

// What every decode of untrusted bytes must satisfy: no throw, and an accepted value is
// the one value whose encoding is exactly these bytes.
void check_decode_is_canonical(const Bytes& bytes) {
  auto decoded = decode_message(bytes);
  if (decoded) {
    RC_ASSERT(encode(*decoded.value) == bytes);
  } else {
    RC_ASSERT(!decoded.error.empty());
  }
}

// Overwrites, flips, truncates, inserts or forges a length somewhere in `bytes`.
Bytes mutate(Bytes bytes) {
  if (bytes.empty()) return bytes;
  auto at = *rc::gen::inRange<std::size_t>(0, bytes.size());
  switch (*rc::gen::inRange(0, 5)) {
    case 0:
      bytes[at] ^= static_cast<std::uint8_t>(1u << *rc::gen::inRange(0, 8));
      break;
    case 1:
      bytes.resize(at);
      break;
    case 2:
      bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                   *rc::gen::arbitrary<std::uint8_t>());
      break;
    case 3:
      bytes[at] = *rc::gen::arbitrary<std::uint8_t>();
      break;
    default: {  // a forged u32 length (huge or just too big) at a random offset
      auto v = *rc::gen::element<std::uint32_t>(0xffffffffu, 0x7fffffffu, 0x00ffffffu, 0x10000u,
                                                static_cast<std::uint32_t>(bytes.size()));
      for (std::size_t i = 0; i < 4 && at + i < bytes.size(); ++i)
        bytes[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
  }
  return bytes;
}

}  // namespace

TEST_CASE("codec: Request, Reply and Batch round-trip") {
  rc::prop("request", [] {
    auto r = *gen::request();
    RC_ASSERT(round_trip(r, [](Reader& in) { return decode_request(in); }) == r);
  });
  rc::prop("reply", [] {
    auto r = *gen::reply();
    RC_ASSERT(round_trip(r, [](Reader& in) { return decode_reply(in); }) == r);
  });
  rc::prop("batch", [] {
    auto b = *gen::batch();
    RC_ASSERT(round_trip(b, [](Reader& in) { return decode_batch(in); }) == b);
  });
}

TEST_CASE("codec: outer messages round-trip through decode_message") {
  rc::prop("decode(encode(m)) re-encodes identically and keeps the body", [] {
    auto m = *gen::message();
    auto bytes = encode(m);
    RC_ASSERT(encoded_size(m) == bytes.size());
    auto back = decode_message(bytes);
    RC_ASSERT(back.value.has_value());
    RC_ASSERT(back.value->body.index() == m.body.index());
    RC_ASSERT(type_name(*back.value) == type_name(m));
    RC_ASSERT(encode(*back.value) == bytes);
    if (auto* r = std::get_if<Request>(&m.body))
      RC_ASSERT(std::get<Request>(back.value->body) == *r);
    if (auto* p = std::get_if<pbft::Message>(&m.body))
      RC_ASSERT(std::get<pbft::Message>(back.value->body) == *p);
    if (auto* h = std::get_if<hotstuff::Message>(&m.body))
      RC_ASSERT(std::get<hotstuff::Message>(back.value->body) == *h);
  });
}

TEST_CASE("codec: random bytes never crash and are accepted only canonically") {
  rc::prop("arbitrary bytes", [] { check_decode_is_canonical(*gen::bytes(512)); });
  rc::prop("bytes after a valid family tag", [] {
    auto bytes = *gen::bytes(512);
    bytes.insert(bytes.begin(), *rc::gen::inRange<std::uint8_t>(1, 5));
    check_decode_is_canonical(bytes);
  });
}

TEST_CASE("codec: mutated and truncated valid encodings never crash") {
  rc::prop("mutations of a valid message", [] {
    auto bytes = encode(*gen::message());
    auto rounds = *rc::gen::inRange(1, 4);
    for (int i = 0; i < rounds; ++i) bytes = mutate(std::move(bytes));
    check_decode_is_canonical(bytes);
  });
  rc::prop("every truncation of a valid message is rejected", [] {
    auto bytes = encode(*gen::message());
    auto cut = *rc::gen::inRange<std::size_t>(0, bytes.size());
    RC_ASSERT(!decode_message(std::span(bytes.data(), cut)));
  });
}

TEST_CASE("codec: forged lengths do not make the decoder allocate beyond the input") {
  if (!knhk::testing::alloc_tracking_supported()) return;
  rc::prop("a forged u32 at every offset: allocation stays linear in the input size", [] {
    const auto valid = encode(*gen::message());
    for (std::size_t at = 0; at + 4 <= valid.size(); ++at) {
      for (std::uint32_t forged : {0xffffffffu, 0x00100000u, 0x00010000u, 0x00008000u,
                                   static_cast<std::uint32_t>(valid.size())}) {
        auto bytes = valid;
        for (std::size_t i = 0; i < 4; ++i)
          bytes[at + i] = static_cast<std::uint8_t>(forged >> (8 * i));
        knhk::testing::AllocStats stats;
        {
          knhk::testing::AllocTracking tracking;
          auto decoded = decode_message(bytes);
          stats = tracking.stats();
        }
        RC_ASSERT(stats.largest <= 8 * bytes.size() + 4096);
        RC_ASSERT(stats.total <= 64 * bytes.size() + 65536);
      }
    }
  });
}

TEST_CASE("codec: hand-forged huge lengths are rejected cheaply") {
  Writer w;
  w.u8(1);     // family: request
  w.u8(0x51);  // request tag
  w.u32(7);
  w.u64(1);
  w.u32(0xffffffffu);  // operation length
  knhk::testing::AllocTracking tracking;
  CHECK_FALSE(decode_message(w.bytes()));
  Writer b;
  b.u32(kMaxBatchRequests);  // an allowed batch count with nothing behind it
  Reader r(b.bytes());
  CHECK_THROWS_AS(decode_batch(r), DecodeError);
  if (knhk::testing::alloc_tracking_supported()) CHECK(tracking.stats().largest < 4096);
  CHECK_FALSE(decode_message(Bytes(kMaxMessageBytes + 1, 0)));
}
