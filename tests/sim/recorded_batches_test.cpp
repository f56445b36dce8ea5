// The run record's copy of a committed batch: the fields the checkers read, one copy per
// batch object, never another batch's copy for an address that was reused.
#include <catch2/catch.hpp>

#include "sim/recorded_batches.hpp"

using namespace knhk;
using namespace knhk::sim;

namespace {
std::shared_ptr<const Batch> batch_of(std::uint64_t first_id, std::uint8_t op) {
  Batch b;
  for (std::uint64_t i = 0; i < 3; ++i) {
    Request r{ClientId(7), RequestId(first_id + i), {op, 1, 2}, {}, {}};
    r.signature[0] = 9;
    r.authenticator.resize(4);
    b.push_back(std::move(r));
  }
  return std::make_shared<const Batch>(std::move(b));
}
}  // namespace

TEST_CASE("recorded batches keep client, id and operation") {
  RecordedBatches recorded;
  REQUIRE(recorded.compact(nullptr) == nullptr);
  auto b = batch_of(1, 5);
  auto copy = recorded.compact(b);
  REQUIRE(copy->size() == b->size());
  for (std::size_t i = 0; i < b->size(); ++i) {
    CHECK((*copy)[i].client == (*b)[i].client);
    CHECK((*copy)[i].id == (*b)[i].id);
    CHECK((*copy)[i].operation == (*b)[i].operation);
  }
  // Every replica committing the same object shares one copy.
  CHECK(recorded.compact(b) == copy);
  CHECK(recorded.compact(batch_of(1, 5)) != copy);  // an equal but distinct object
}

TEST_CASE("recorded batches never answer for a freed batch whose address was reused") {
  RecordedBatches recorded;
  for (std::uint8_t round = 0; round < 50; ++round) {
    auto b = batch_of(100 * round, round);
    auto copy = recorded.compact(b);
    REQUIRE((*copy)[0].id == RequestId(100 * round));
    REQUIRE((*copy)[0].operation[0] == round);
    b.reset();  // the next batch may well be allocated at the same address
  }
}
