// The trace's message fast path (record_message with interned type handles) against the
// general record(TraceEvent): same digest, same JSON lines, across block boundaries.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "sim/rng.hpp"
#include "sim/trace.hpp"

using namespace knhk;
using namespace knhk::sim;

namespace {

// The event a send or delivery stands for, built field by field as the simulator built
// it before record_message existed.
TraceEvent by_hand(Time t, TraceKind kind, Principal node, Principal peer, std::string_view type,
                   const MessageFacts& m) {
  TraceEvent e{t, kind, node, type};
  if (kind == TraceKind::deliver)
    e.from = peer;
  else
    e.to = peer;
  if (m.has_view) e.view = m.view;
  if (m.has_seq) e.seq = m.seq;
  e.size = m.size;
  return e;
}

Principal some_principal(Rng& rng) {
  const auto id = static_cast<std::uint32_t>(rng.below(300));
  return rng.bernoulli(0.3) ? Principal::client(ClientId(id)) : Principal::replica(NodeId(id));
}

// Feeds the same pseudo-random run to `fast` (record_message wherever it can) and `slow`
// (record only): sends and deliveries of a few types with values of every varint width,
// times going back and forth, and other events with texts, sometimes naming a message
// type before any message of it was recorded.
void feed_both(Trace& fast, Trace& slow, std::uint64_t seed, int events) {
  const std::vector<std::string> names = {"pbft.prepare", "pbft.commit", "request", "reply",
                                          std::string(300, 'x')};
  std::vector<TypeHandle> handles;
  for (const auto& n : names) handles.push_back(fast.intern(n));
  Rng rng(seed);
  std::int64_t now = 0;
  for (int i = 0; i < events; ++i) {
    now += static_cast<std::int64_t>(rng.below(1 << 20)) - (1 << 12);
    const Time t{now};
    const auto which = static_cast<std::size_t>(rng.below(names.size()));
    if (rng.bernoulli(0.1)) {  // a drop naming a message type, through record() on both
      TraceEvent e{t, TraceKind::drop, some_principal(rng), names[which]};
      e.to = some_principal(rng);
      e.detail = "random_loss";
      fast.record(e);
      slow.record(e);
      continue;
    }
    MessageFacts m;
    m.type = handles[which];
    m.has_view = rng.bernoulli(0.7);
    m.view = rng.next_u64() >> rng.below(64);
    m.has_seq = rng.bernoulli(0.7);
    m.seq = rng.next_u64() >> rng.below(64);
    m.size = static_cast<std::uint32_t>(rng.next_u64() >> (32 + rng.below(32)));
    const TraceKind kind = rng.bernoulli(0.5) ? TraceKind::send : TraceKind::deliver;
    const Principal node = some_principal(rng), peer = some_principal(rng);
    fast.record_message(t, kind, node, peer, m);
    slow.record(by_hand(t, kind, node, peer, names[which], m));
  }
}

}  // namespace

TEST_CASE("trace: record_message records what record() does for the same event", "[sim][trace]") {
  Trace fast, slow;
  feed_both(fast, slow, 7, 100);
  REQUIRE(fast.events() == slow.events());
  REQUIRE(fast.digest() == slow.digest());
  // Many 64 KiB blocks, events straddling their boundaries.
  feed_both(fast, slow, 8, 300'000);
  REQUIRE(fast.events() == slow.events());
  REQUIRE(fast.digest() == slow.digest());

  // The comparison can fail: one differing field changes the digest.
  Trace other_fast, other_slow;
  feed_both(other_fast, other_slow, 8, 99);
  MessageFacts m;
  m.type = other_fast.intern("reply");
  m.size = 10;
  other_fast.record_message(Time{}, TraceKind::send, Principal::replica(NodeId(1)),
                            Principal::client(ClientId(2)), m);
  m.size = 11;
  other_slow.record(by_hand(Time{}, TraceKind::send, Principal::replica(NodeId(1)),
                            Principal::client(ClientId(2)), "reply", m));
  REQUIRE(other_fast.digest() != other_slow.digest());
}

TEST_CASE("trace: with a sink, record_message writes the same JSON lines as record()",
          "[sim][trace]") {
  std::ostringstream fast_out, slow_out;
  Trace fast, slow;
  fast.set_sink(&fast_out);
  slow.set_sink(&slow_out);
  feed_both(fast, slow, 9, 2000);
  REQUIRE(fast_out.str() == slow_out.str());
  REQUIRE(fast.digest() == slow.digest());
  REQUIRE(fast_out.str().find(R"("kind":"deliver","node":)") != std::string::npos);
}

TEST_CASE("trace: interning gives one handle per name and records nothing", "[sim][trace]") {
  Trace t, untouched;
  const TypeHandle a = t.intern("pbft.prepare");
  const TypeHandle b = t.intern("pbft.commit");
  REQUIRE(a != b);
  REQUIRE(t.intern(std::string("pbft.prepare")) == a);
  REQUIRE(t.type_name(a) == "pbft.prepare");
  REQUIRE(t.type_name(b) == "pbft.commit");
  REQUIRE(t.events() == 0);
  REQUIRE(t.digest() == untouched.digest());
}
