// Untrusted input never stops a replica: sequences of validly signed but arbitrary
// messages (wrong views, sequence numbers, digests, certificates) are counted and dropped,
// and the replica's invariants (checked after every step, aborting on violation) hold.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "pbft_test_util.hpp"

using namespace knhk;
using namespace knhk::pbft;
using namespace knhk::pbft::test;

namespace {

struct Chaos {
  Keys k;
  std::vector<Request> requests{request(k, 1, 1, "a"), request(k, 1, 2, "b"),
                                request(k, 2, 1, "c")};

  Batch batch(int i) const {
    if (i == 0) return {};
    return {requests[static_cast<std::size_t>(i - 1) % requests.size()]};
  }
  PrePrepare pp(std::uint64_t v, std::uint64_t n, int b, std::uint32_t who) const {
    return pre_prepare(k, View(v), Seq(n), batch(b), who);
  }
  // One arbitrary message, signed by the replica it claims to come from.
  pbft::Message make(int kind, std::uint64_t v, std::uint64_t n, int b, std::uint32_t who) const {
    auto p = pp(v, n, b, static_cast<std::uint32_t>(v % 4));
    switch (kind) {
      case 0:
        return pp(v, n, b, who);
      case 1:
        return prepare(k, p, who);
      case 2:
        return commit(k, p, who);
      case 3:
        return signed_by(Checkpoint{Seq(n), blake2b(std::to_string(b)), NodeId(who), {}}, k);
      case 4: {
        PreparedCertificate c{p, {prepare(k, p, (who + 1) % 4), prepare(k, p, (who + 2) % 4)}};
        return signed_by(ViewChange{View(v), Seq(0), Digest{}, {}, {c}, NodeId(who), {}}, k);
      }
      case 5: {
        ViewChange vc{View(v), Seq(0), Digest{}, {}, {}, NodeId(who), {}};
        NewView nv{View(v), {signed_by(vc, k)}, {pp(v, n, b, who)}, NodeId(who), {}};
        return signed_by(nv, k);
      }
      case 6:
        return signed_by(StateRequest{View(v), Seq(n), NodeId(who), {}}, k);
      default: {
        StateResponse r;
        r.entries.push_back(CommittedEntry{p, {commit(k, p, 0), commit(k, p, 1), commit(k, p, 2)}});
        r.replica = NodeId(who);
        return signed_by(r, k);
      }
    }
  }
};

}  // namespace

TEST_CASE("arbitrary signed messages, timers and requests never break a replica") {
  rc::prop("replica survives", [] {
    Chaos c;
    auto self = *rc::gen::inRange<std::uint32_t>(0, 4);
    RecordingHost h(make(small_params(), self, c.k));
    h.start();
    auto steps = *rc::gen::inRange(1, 120);
    for (int i = 0; i < steps; ++i) {
      auto what = *rc::gen::inRange(0, 12);
      if (what == 8) {
        h.fire(*rc::gen::inRange<TimerId>(1, 4));
      } else if (what == 9) {
        h.client_request(c.requests[*rc::gen::inRange<std::size_t>(0, 3)]);
      } else {
        auto who = *rc::gen::inRange<std::uint32_t>(0, 4);
        if (who == self) who = (who + 1) % 4;
        auto m = c.make(what % 8, *rc::gen::inRange<std::uint64_t>(0, 4),
                        *rc::gen::inRange<std::uint64_t>(0, 14), *rc::gen::inRange(0, 4), who);
        h.deliver(NodeId(who), m);
      }
    }
    auto s = h.replica().status();
    RC_ASSERT(s.committed.value <= 14);
  });
}
