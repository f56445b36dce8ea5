// The WGL linearizability checker on known histories and on generated ones.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "analysis/kv_model.hpp"
#include "analysis/linearizability.hpp"
#include "protocols/smr/application.hpp"
#include "protocols/smr/kv.hpp"

using namespace knhk;
using namespace knhk::analysis;
namespace kv = knhk::smr::kv;

namespace {

Bytes val(const std::string& s) {
  return Bytes(s.begin(), s.end());
}
Time at(std::int64_t ms) {
  return Time{ms * 1000000};
}

KvHistoryOp op(std::uint32_t client, std::int64_t from, std::optional<std::int64_t> to,
               Bytes operation, kv::Result result) {
  KvHistoryOp h{ClientId(client), at(from), std::nullopt, std::move(operation), {}};
  if (to) {
    h.complete = at(*to);
    h.result = kv::encode_result(result);
  }
  return h;
}
KvHistoryOp put(std::uint32_t c, std::int64_t from, std::optional<std::int64_t> to,
                std::uint32_t key, const std::string& v) {
  return op(c, from, to, kv::encode_put(kv::Key::index(key), val(v)), {kv::Status::ok, {}, {}});
}
KvHistoryOp get(std::uint32_t c, std::int64_t from, std::int64_t to, std::uint32_t key,
                std::optional<std::string> v) {
  kv::Result r{kv::Status::not_found, std::nullopt, {}};
  if (v) r = {kv::Status::value, val(*v), {}};
  return op(c, from, to, kv::encode_get(kv::Key::index(key)), r);
}
KvHistoryOp cas(std::uint32_t c, std::int64_t from, std::optional<std::int64_t> to,
                std::uint32_t key, std::optional<std::string> expected, const std::string& v,
                bool ok, std::optional<std::string> saw = std::nullopt) {
  std::optional<Bytes> e;
  if (expected) e = val(*expected);
  kv::Result r{kv::Status::ok, std::nullopt, {}};
  if (!ok) r = {kv::Status::cas_failed, saw ? std::optional<Bytes>(val(*saw)) : std::nullopt, {}};
  return op(c, from, to, kv::encode_cas(kv::Key::index(key), e, val(v)), r);
}

Verdict verdict(const KvHistory& h) {
  return check_kv_linearizability(h).verdict;
}

}  // namespace

TEST_CASE("linearizability: sequential histories that follow the spec are linearizable") {
  CHECK(verdict({}) == Verdict::linearizable);
  CHECK(verdict({get(1, 0, 1, 0, std::nullopt), put(1, 2, 3, 0, "a"), get(2, 4, 5, 0, "a"),
                 cas(1, 6, 7, 0, "a", "b", true), get(2, 8, 9, 0, "b")}) == Verdict::linearizable);
}

TEST_CASE("linearizability: a stale read is a violation, explained by the ops involved") {
  KvHistory h{put(1, 0, 1, 0, "a"), put(1, 2, 3, 0, "b"), get(2, 4, 5, 0, "a")};
  auto report = check_kv_linearizability(h);
  REQUIRE(report.verdict == Verdict::not_linearizable);
  REQUIRE(report.violation);
  CHECK(report.violation->key == "#0");
  // The read of "a" and the later write of "b" are the core; "a"'s writer is related.
  CHECK(report.violation->operations == std::vector<std::size_t>{1, 2});
  CHECK(report.violation->related_writes == std::vector<std::size_t>{0});
  CHECK(report.violation->explanation.find("get(#0)") != std::string::npos);
  // The same history with the read concurrent to the second write is fine.
  CHECK(verdict({put(1, 0, 1, 0, "a"), put(1, 2, 5, 0, "b"), get(2, 4, 6, 0, "a")}) ==
        Verdict::linearizable);
}

TEST_CASE("linearizability: a lost write is a violation") {
  CHECK(verdict({put(1, 0, 1, 0, "a"), get(2, 2, 3, 0, std::nullopt)}) ==
        Verdict::not_linearizable);
  CHECK(verdict({put(1, 0, 1, 0, "a"), put(2, 0, 1, 0, "b"), get(3, 2, 3, 0, "a"),
                 get(3, 4, 5, 0, "b")}) == Verdict::not_linearizable);
  CHECK(verdict({put(1, 0, 1, 0, "a"), get(3, 2, 3, 0, "x")}) == Verdict::not_linearizable);
}

TEST_CASE("linearizability: concurrent ops may be ordered either way, but consistently") {
  KvHistory both{put(1, 0, 10, 0, "a"), put(2, 0, 10, 0, "b")};
  auto then_read = [&](std::vector<KvHistoryOp> reads) {
    auto h = both;
    h.insert(h.end(), reads.begin(), reads.end());
    return verdict(h);
  };
  CHECK(then_read({get(3, 11, 12, 0, "a")}) == Verdict::linearizable);
  CHECK(then_read({get(3, 11, 12, 0, "b")}) == Verdict::linearizable);
  CHECK(then_read({get(3, 11, 12, 0, "a"), get(3, 13, 14, 0, "b")}) == Verdict::not_linearizable);
  // A read overlapping a write may see either value, but values cannot flip back.
  CHECK(verdict({put(1, 0, 10, 0, "a"), get(2, 1, 2, 0, "a")}) == Verdict::linearizable);
  CHECK(verdict({put(1, 0, 10, 0, "a"), get(2, 1, 2, 0, std::nullopt)}) == Verdict::linearizable);
  CHECK(verdict({put(1, 0, 10, 0, "a"), get(2, 1, 2, 0, "a"), get(2, 3, 4, 0, std::nullopt)}) ==
        Verdict::not_linearizable);
  // Events at the same instant count as concurrent.
  CHECK(verdict({put(1, 0, 5, 0, "a"), get(2, 5, 6, 0, std::nullopt)}) == Verdict::linearizable);
}

TEST_CASE("linearizability: cas anomalies") {
  // Two inserts-if-absent cannot both succeed, even when concurrent.
  CHECK(verdict({cas(1, 0, 5, 0, std::nullopt, "a", true),
                 cas(2, 1, 6, 0, std::nullopt, "b", true)}) == Verdict::not_linearizable);
  CHECK(verdict({cas(1, 0, 5, 0, std::nullopt, "a", true),
                 cas(2, 1, 6, 0, std::nullopt, "b", false, "a")}) == Verdict::linearizable);
  // A failed cas must have seen a value other than the expected one, and report it.
  CHECK(verdict({put(1, 0, 1, 0, "a"), cas(2, 2, 3, 0, "b", "c", false, "a")}) ==
        Verdict::linearizable);
  CHECK(verdict({put(1, 0, 1, 0, "a"), cas(2, 2, 3, 0, "a", "c", false, "a")}) ==
        Verdict::not_linearizable);
  CHECK(verdict({put(1, 0, 1, 0, "a"), cas(2, 2, 3, 0, "b", "c", false, "z")}) ==
        Verdict::not_linearizable);
  // A successful cas needs the expected value at its linearization point.
  CHECK(verdict({put(1, 0, 1, 0, "a"), cas(2, 2, 3, 0, "b", "c", true)}) ==
        Verdict::not_linearizable);
  CHECK(verdict({put(1, 0, 4, 0, "b"), cas(2, 2, 3, 0, "b", "c", true), get(1, 5, 6, 0, "c")}) ==
        Verdict::linearizable);
}

TEST_CASE("linearizability: pending ops may or may not have taken effect") {
  CHECK(verdict({put(1, 0, std::nullopt, 0, "a"), get(2, 5, 6, 0, "a")}) == Verdict::linearizable);
  CHECK(verdict({put(1, 0, std::nullopt, 0, "a"), get(2, 5, 6, 0, std::nullopt)}) ==
        Verdict::linearizable);
  CHECK(verdict({put(1, 0, std::nullopt, 0, "a"), get(2, 5, 6, 0, std::nullopt),
                 get(2, 7, 8, 0, "a")}) == Verdict::linearizable);
  CHECK(verdict({put(1, 0, std::nullopt, 0, "a"), get(2, 5, 6, 0, "a"),
                 get(2, 7, 8, 0, std::nullopt)}) == Verdict::not_linearizable);
  // A pending op cannot take effect before it was invoked.
  CHECK(verdict({get(2, 0, 1, 0, "a"), put(1, 2, std::nullopt, 0, "a")}) ==
        Verdict::not_linearizable);
  // A pending cas takes effect only if its expectation holds at that point.
  CHECK(verdict({put(1, 0, 1, 0, "x"), cas(1, 2, std::nullopt, 0, "y", "z", true),
                 get(2, 5, 6, 0, "z")}) == Verdict::not_linearizable);
}

TEST_CASE("linearizability: keys are checked independently and the bad key is named") {
  auto report = check_kv_linearizability({put(1, 0, 1, 0, "a"), put(1, 0, 1, 1, "a"),
                                          get(2, 2, 3, 0, "a"), get(2, 2, 3, 1, std::nullopt)});
  REQUIRE(report.verdict == Verdict::not_linearizable);
  CHECK(report.keys == 2);
  CHECK(report.violation->key == "#1");
  CHECK(report.violation->operations == std::vector<std::size_t>{1, 3});
}

TEST_CASE("linearizability: error results are ignored; impossible results are violations") {
  auto bad = op(1, 0, 1, kv::encode_put(kv::Key::index(0), val("a")), {kv::Status::error, {}, "x"});
  auto report = check_kv_linearizability({bad, get(2, 2, 3, 0, std::nullopt)});
  CHECK(report.verdict == Verdict::linearizable);
  CHECK(report.ignored == 1);
  auto wrong_kind = op(1, 0, 1, kv::encode_get(kv::Key::index(0)), {kv::Status::ok, {}, {}});
  CHECK(verdict({wrong_kind}) == Verdict::not_linearizable);
  auto garbage = put(1, 0, 1, 0, "a");
  garbage.result = Bytes{0xee};
  CHECK(verdict({garbage}) == Verdict::not_linearizable);
}

TEST_CASE("linearizability: a violation deep in a long history is explained minimally") {
  KvHistory h;
  std::int64_t t = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string value = std::string("v").append(std::to_string(i));
    h.push_back(put(1, t, t + 3, 0, value));
    h.push_back(get(2, t + 1, t + 4, 0, value));
    t += 5;
  }
  h.push_back(get(3, t, t + 1, 0, "v10"));  // stale: v199 was written long before
  for (int i = 0; i < 50; ++i) h.push_back(get(2, t + 2 + i, t + 2 + i, 0, "v199"));
  auto report = check_kv_linearizability(h);
  REQUIRE(report.verdict == Verdict::not_linearizable);
  const auto& ops = report.violation->operations;
  CHECK(ops.size() <= 3);
  CHECK(std::find(ops.begin(), ops.end(), std::size_t{400}) != ops.end());
  // A local window suffices: after reading v199, nothing in it writes v10 again.
  CHECK(report.violation->from_unknown_state);
  CHECK(report.violation->related_writes.size() <= 1);
  UNSCOPED_INFO(report.violation->explanation);
  CHECK(report.violation->explanation.find("[400] client 3") != std::string::npos);
}

TEST_CASE("linearizability: a step budget makes a hard search report unknown") {
  KvHistory h;
  for (std::uint32_t c = 0; c < 12; ++c) h.push_back(put(c, 0, 100, 0, std::to_string(c)));
  h.push_back(get(99, 101, 102, 0, "nobody wrote this"));
  LinearizabilityOptions tight;
  tight.max_steps_per_key = 20;
  auto report = check_kv_linearizability(h, tight);
  CHECK(report.verdict == Verdict::unknown);
  CHECK(report.unknown_key == "#0");
  CHECK(check_kv_linearizability(h).verdict == Verdict::not_linearizable);
}

namespace {

// Runs random kv ops sequentially on the real application, giving op i the
// linearization point 10*i and a random interval around it; some ops stay pending.
KvHistory sequential_history(bool allow_pending) {
  auto app = smr::make_application(AppKind::kv, 4);
  auto n = *rc::gen::inRange(0, 60);
  KvHistory h;
  for (int i = 0; i < n; ++i) {
    auto key = kv::Key::index(*rc::gen::inRange<std::uint32_t>(0, 3));
    auto v = val(std::to_string(*rc::gen::inRange(0, 4)));
    Bytes operation;
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        operation = kv::encode_put(key, v);
        break;
      case 1:
        operation = kv::encode_get(key);
        break;
      default: {
        std::optional<Bytes> expected;
        if (*rc::gen::arbitrary<bool>()) expected = val(std::to_string(*rc::gen::inRange(0, 4)));
        operation = kv::encode_cas(key, expected, v);
      }
    }
    std::int64_t point = 10 * i;
    KvHistoryOp hop{ClientId(*rc::gen::inRange<std::uint32_t>(0, 5)),
                    Time{point - *rc::gen::inRange<std::int64_t>(0, 40)},
                    Time{point + *rc::gen::inRange<std::int64_t>(0, 40)}, operation,
                    app->apply(operation)};
    if (allow_pending && *rc::gen::inRange(0, 10) == 0) {
      hop.complete.reset();
      hop.result.clear();
    }
    h.push_back(std::move(hop));
  }
  return h;
}

}  // namespace

TEST_CASE("linearizability: sequential executions with consistent timing are linearizable") {
  rc::prop("any history produced by a sequential execution", [] {
    auto h = sequential_history(true);
    // The order in which the record lists operations does not matter.
    auto shuffled = h;
    std::reverse(shuffled.begin(), shuffled.end());
    if (!shuffled.empty())
      std::rotate(shuffled.begin(),
                  shuffled.begin() + *rc::gen::inRange<std::size_t>(0, shuffled.size()),
                  shuffled.end());
    RC_ASSERT(check_kv_linearizability(h).verdict == Verdict::linearizable);
    RC_ASSERT(check_kv_linearizability(shuffled).verdict == Verdict::linearizable);
  });
}

TEST_CASE("linearizability: a wrong read in a history without overlap is always found") {
  rc::prop("changing one get's result breaks a non-overlapping sequential history", [] {
    auto app = smr::make_application(AppKind::kv, 2);
    KvHistory h;
    auto n = *rc::gen::inRange(1, 40);
    for (int i = 0; i < n; ++i) {
      auto key = kv::Key::index(*rc::gen::inRange<std::uint32_t>(0, 2));
      auto operation = *rc::gen::arbitrary<bool>()
                           ? kv::encode_get(key)
                           : kv::encode_put(key, val(std::to_string(*rc::gen::inRange(0, 3))));
      h.push_back({ClientId(0), Time{10 * i}, Time{10 * i + 5}, operation, app->apply(operation)});
    }
    std::vector<std::size_t> gets;
    for (std::size_t i = 0; i < h.size(); ++i)
      if (kv::decode_op(h[i].operation)->kind == kv::OpKind::get) gets.push_back(i);
    RC_PRE(!gets.empty());
    auto victim = *rc::gen::elementOf(gets);
    auto seen = kv::decode_result(h[victim].result);
    kv::Result wrong{kv::Status::value, val("never"), {}};
    if (seen->status == kv::Status::value && *rc::gen::arbitrary<bool>())
      wrong = {kv::Status::not_found, std::nullopt, {}};
    h[victim].result = kv::encode_result(wrong);
    auto report = check_kv_linearizability(h);
    RC_ASSERT(report.verdict == Verdict::not_linearizable);
    const auto& ops = report.violation->operations;
    RC_ASSERT(std::find(ops.begin(), ops.end(), victim) != ops.end());
  });
}

namespace {

// An independent brute-force oracle: tries every order (and every subset of pending ops)
// that respects real time, applying the kv spec directly.
struct Oracle {
  Oracle(const KvHistory& history, std::vector<bool> must_match)
      : h(history), known(std::move(must_match)) {}
  const KvHistory& h;
  std::vector<bool> known;  // result must match; otherwise the op is optional
  std::vector<bool> done = std::vector<bool>(h.size(), false);
  std::set<std::pair<std::vector<bool>, std::optional<Bytes>>> failed;  // memo of dead ends

  bool result_matches(const KvHistoryOp& o, bool must_match, std::optional<Bytes>& state) const {
    auto op = *kv::decode_op(o.operation);
    auto next = state;
    const kv::Result r = apply(op, state, next);
    if (must_match && kv::encode_result(r) != o.result) return false;
    state = next;
    return true;
  }

  // The model's result of `op` on `state`; `next` becomes the state after it.
  static kv::Result apply(const kv::Op& op, const std::optional<Bytes>& state,
                          std::optional<Bytes>& next) {
    switch (op.kind) {
      case kv::OpKind::put:
        next = op.value;
        return {kv::Status::ok, {}, {}};
      case kv::OpKind::get:
        return state ? kv::Result{kv::Status::value, state, {}}
                     : kv::Result{kv::Status::not_found, {}, {}};
      case kv::OpKind::cas:
        if (state != op.expected) return {kv::Status::cas_failed, state, {}};
        next = op.value;
        return {kv::Status::ok, {}, {}};
    }
    return {kv::Status::error, {}, "unknown op"};
  }

  bool search(std::optional<Bytes> state) {
    bool all_required_done = true;
    for (std::size_t i = 0; i < h.size(); ++i) all_required_done &= done[i] || !known[i];
    if (all_required_done) return true;
    if (failed.count({done, state})) return false;
    for (std::size_t i = 0; i < h.size(); ++i) {
      if (done[i]) continue;
      bool blocked = false;  // some unfinished op returned before i was invoked
      for (std::size_t j = 0; j < h.size(); ++j)
        blocked |= !done[j] && j != i && h[j].complete && *h[j].complete < h[i].invoke;
      if (blocked) continue;
      auto next = state;
      done[i] = true;
      if (result_matches(h[i], known[i], next) && search(next)) return true;
      if (!known[i] && search(state)) return true;  // the optional op never happened
      done[i] = false;
    }
    failed.insert({done, state});
    return false;
  }
};

kv::Result random_result(const kv::Op& op, const std::vector<Bytes>& values) {
  auto some = [&] { return *rc::gen::elementOf(values); };
  switch (op.kind) {
    case kv::OpKind::put:
      return {kv::Status::ok, {}, {}};
    case kv::OpKind::get:
      if (*rc::gen::inRange(0, 4) == 0) return {kv::Status::not_found, {}, {}};
      return {kv::Status::value, some(), {}};
    case kv::OpKind::cas:
      if (*rc::gen::arbitrary<bool>()) return {kv::Status::ok, {}, {}};
      if (*rc::gen::inRange(0, 4) == 0) return {kv::Status::cas_failed, std::nullopt, {}};
      return {kv::Status::cas_failed, some(), {}};
  }
  return {};
}

}  // namespace

TEST_CASE("linearizability: agrees with a brute-force oracle on small histories") {
  rc::prop("same verdict as trying every order", [] {
    const std::vector<Bytes> values{val("a"), val("b"), val("c")};
    auto n = *rc::gen::inRange(1, 14);
    KvHistory h;
    for (int i = 0; i < n; ++i) {
      auto key = kv::Key::index(0);
      kv::Op op{*rc::gen::element(kv::OpKind::put, kv::OpKind::get, kv::OpKind::cas), key,
                std::nullopt, *rc::gen::elementOf(values)};
      if (op.kind == kv::OpKind::cas && *rc::gen::inRange(0, 4) != 0)
        op.expected = *rc::gen::elementOf(values);
      if (op.kind == kv::OpKind::get) op.value.clear();
      auto invoke = *rc::gen::inRange<std::int64_t>(0, 3 * n);
      KvHistoryOp hop{ClientId(static_cast<std::uint32_t>(i)),
                      Time{invoke},
                      std::nullopt,
                      kv::encode_op(op),
                      {}};
      if (*rc::gen::inRange(0, 6) != 0) {
        hop.complete = Time{invoke + *rc::gen::inRange<std::int64_t>(0, 10)};
        hop.result = kv::encode_result(random_result(op, values));
      }
      h.push_back(hop);
    }
    std::vector<bool> completed;
    for (const auto& o : h) completed.push_back(o.complete.has_value());
    Oracle oracle(h, completed);
    bool expected = oracle.search(std::nullopt);
    LinearizabilityOptions options;
    options.first_window_ops = *rc::gen::element<std::size_t>(1, 2, 8);
    auto report = check_kv_linearizability(h, options);
    RC_TAG(expected ? "linearizable" : "not linearizable");
    for (const auto& o : h)
      RC_LOG() << o.invoke.ns << ".." << (o.complete ? std::to_string(o.complete->ns) : "pending")
               << " " << describe_kv_op(o.operation, o.complete.has_value(), o.result) << "\n";
    RC_ASSERT((report.verdict == Verdict::linearizable) == expected);
    if (!expected) {
      // The explanation's operations still fail with every other op's result forgotten
      // (optional, but within its interval).
      std::vector<bool> in_core(h.size(), false);
      for (auto i : report.violation->operations) in_core[i] = true;
      RC_ASSERT(!report.violation->operations.empty());
      RC_LOG() << report.violation->explanation;
      RC_CLASSIFY(report.violation->from_unknown_state, "explained by a window");
      Oracle again(h, in_core);
      RC_ASSERT(!again.search(std::nullopt));
    }
  });
}

// The checker's byte-keyed maps iterate in BytesOrder: it must be std::less<Bytes>'s order,
// or reports would list keys in another order than before.
TEST_CASE("kv model: BytesOrder orders bytes as std::less does", "[analysis][property]") {
  rc::prop("BytesOrder(a, b) == (a < b)",
           [](const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
             RC_ASSERT(knhk::analysis::BytesOrder{}(a, b) == (a < b));
             RC_ASSERT(knhk::analysis::BytesOrder{}(a, a) == false);
             // A prefix sorts first, and bytes compare unsigned.
             std::vector<std::uint8_t> longer = a;
             longer.push_back(0);
             RC_ASSERT(knhk::analysis::BytesOrder{}(a, longer));
           });
  CHECK(knhk::analysis::BytesOrder{}(knhk::Bytes{0x7f}, knhk::Bytes{0x80}));
}
