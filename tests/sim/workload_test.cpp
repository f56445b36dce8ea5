// Generated client operations are valid operations of the replicated applications.
#include <catch2/catch.hpp>

#include <set>

#include "protocols/smr/application.hpp"
#include "protocols/smr/bank.hpp"
#include "protocols/smr/kv.hpp"
#include "sim/workload.hpp"

using namespace knhk;

TEST_CASE("workload: kv operations decode, stay in the key space and apply", "[sim][workload]") {
  sim::Rng rng(4);
  auto app = smr::make_application(AppKind::kv, 10);
  std::set<smr::kv::OpKind> kinds;
  std::set<std::string> put_values;  // strings: GCC 12 warns spuriously on set<Bytes>
  int puts = 0;
  for (int i = 0; i < 2000; ++i) {
    const Bytes op = sim::make_operation(AppKind::kv, 10, rng);
    const auto decoded = smr::kv::decode_op(op);
    REQUIRE(decoded.has_value());
    kinds.insert(decoded->kind);
    REQUIRE(std::get<std::uint32_t>(decoded->key.id) < 10);
    if (decoded->kind == smr::kv::OpKind::put) {
      ++puts;
      put_values.emplace(decoded->value.begin(), decoded->value.end());
    }
    const auto result = smr::kv::decode_result(app->apply(op));
    REQUIRE(result.has_value());
    REQUIRE(result->status != smr::kv::Status::error);
  }
  REQUIRE(kinds.size() == 3);
  REQUIRE(put_values.size() == static_cast<std::size_t>(puts));  // every write is unique
  REQUIRE(puts == Approx(1000).epsilon(0.1));
}

TEST_CASE("workload: bank operations decode, name real accounts and apply", "[sim][workload]") {
  sim::Rng rng(5);
  auto app = smr::make_application(AppKind::bank, 8);
  std::set<smr::bank::OpKind> kinds;
  for (int i = 0; i < 2000; ++i) {
    const Bytes op = sim::make_operation(AppKind::bank, 8, rng);
    const auto decoded = smr::bank::decode_op(op);
    REQUIRE(decoded.has_value());
    kinds.insert(decoded->kind);
    REQUIRE(decoded->a < 8);
    const auto result = smr::bank::decode_result(app->apply(op));
    REQUIRE(result.has_value());
    REQUIRE(result->status != smr::bank::Status::error);
  }
  REQUIRE(kinds.size() == 3);
}

TEST_CASE("workload: the same stream gives the same operations", "[sim][workload]") {
  sim::Rng a(6), b(6);
  for (int i = 0; i < 100; ++i)
    REQUIRE(sim::make_operation(AppKind::kv, 100, a) == sim::make_operation(AppKind::kv, 100, b));
}
