// What the run record keeps of a committed batch: each request's client, id and operation
// (all the checkers read), in one copy shared by every replica that commits the same batch
// object.
//
// A replica's batch also carries each request's MAC authenticator and cached encodings and
// digests, and in PBFT it keeps the whole pre-prepare message alive. Holding those for the
// whole run (the record keeps every commit) made a 60 s PBFT benchmark 10-17% slower in page
// faults and cache misses than a record that kept nothing.
#pragma once

#include <array>
#include <cstddef>
#include <memory>

#include "protocols/common/request.hpp"
#include "sim/record.hpp"

namespace knhk::sim {

class RecordedBatches {
 public:
  // The compact copy of `batch` (null for null). The same batch object, committed by
  // several replicas in a row, yields the same copy.
  std::shared_ptr<const RecordedBatch> compact(const std::shared_ptr<const Batch>& batch);

 private:
  // Recent batch objects and their copies. An entry is used only while its batch is alive
  // (`original` not expired): then no other object can have its address.
  struct Entry {
    const Batch* raw = nullptr;
    std::weak_ptr<const Batch> original;
    std::shared_ptr<const RecordedBatch> copy;
  };
  static constexpr std::size_t kRecent = 16;
  std::array<Entry, kRecent> recent_{};
  std::size_t next_ = 0;
};

}  // namespace knhk::sim
