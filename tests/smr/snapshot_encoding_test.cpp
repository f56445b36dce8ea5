// encode_snapshot appends its pieces to an exactly reserved vector; its bytes must be
// those of the snapshot layout written field by field with a Writer (the encoding
// before, kept here as the reference), whichever way the reply windows are given.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "protocols/common/codec.hpp"
#include "protocols/smr/state_machine.hpp"

using namespace knhk;
using namespace knhk::smr;

namespace {

// The layout of docs/smr.md, one Writer call per field.
Bytes reference_encoding(const Snapshot& s) {
  Writer w;
  w.u8(0x53);  // 'S'
  w.u64(s.position.value);
  w.bytes(s.app_state);
  w.u32(static_cast<std::uint32_t>(s.clients.size()));
  for (const auto& [c, e] : s.clients) {
    w.u32(c.value);
    w.u64(e.last_request.value);
    w.bytes(e.last_result);
    w.u64(e.floor.value);
    w.u32(static_cast<std::uint32_t>(e.recent.size()));
    for (const auto& [id, result] : e.recent) {
      w.u64(id.value);
      w.bytes(result);
    }
  }
  w.digest(s.state_hash);
  return w.take();
}

Bytes random_bytes(std::size_t max) {
  return *rc::gen::container<Bytes>(*rc::gen::inRange<std::size_t>(0, max + 1),
                                    rc::gen::arbitrary<std::uint8_t>());
}

Snapshot random_snapshot() {
  Snapshot s;
  s.position = Seq(*rc::gen::arbitrary<std::uint64_t>());
  s.app_state = random_bytes(40);
  const auto clients = *rc::gen::inRange<std::size_t>(0, 6);
  for (std::size_t i = 0; i < clients; ++i) {
    ClientEntry e;
    e.floor = RequestId(*rc::gen::inRange<std::uint64_t>(0, 10));
    std::uint64_t id = e.floor.value;
    const auto window = *rc::gen::inRange<std::size_t>(0, 8);
    for (std::size_t j = 0; j < window; ++j) {
      id += *rc::gen::inRange<std::uint64_t>(1, 4);
      e.recent.emplace_back(RequestId(id), random_bytes(12));
    }
    e.last_request = RequestId(id + *rc::gen::inRange<std::uint64_t>(0, 2));
    e.last_result = random_bytes(12);
    s.clients.emplace(ClientId(*rc::gen::arbitrary<std::uint32_t>()), std::move(e));
  }
  for (auto& b : s.state_hash.bytes) b = *rc::gen::arbitrary<std::uint8_t>();
  return s;
}

}  // namespace

TEST_CASE("encode_snapshot writes the reference layout, windows given or encoded") {
  rc::prop("encode_snapshot == field-by-field encoding", [] {
    const Snapshot s = random_snapshot();
    const Bytes expected = reference_encoding(s);
    RC_ASSERT(encode_snapshot(s) == expected);
    RC_ASSERT(encode_snapshot(s).capacity() == expected.size());  // reserved exactly

    // The same table with some windows already encoded, as StateMachine keeps them.
    std::vector<Bytes> windows;
    windows.reserve(s.clients.size());
    std::vector<SnapshotClient> table;
    for (const auto& [c, e] : s.clients) {
      if (*rc::gen::arbitrary<bool>()) {
        table.push_back(SnapshotClient{c, &e});
        continue;
      }
      windows.emplace_back();
      for (const auto& [id, result] : e.recent) append_window_entry(windows.back(), id, result);
      table.push_back(SnapshotClient{c, &e, std::span<const std::uint8_t>(windows.back())});
    }
    RC_ASSERT(encode_snapshot(s.position, s.app_state, table, s.state_hash) == expected);
    RC_ASSERT(decode_snapshot(expected) == s);
  });
}
