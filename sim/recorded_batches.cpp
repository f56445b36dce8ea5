#include "sim/recorded_batches.hpp"

namespace knhk::sim {

std::shared_ptr<const RecordedBatch> RecordedBatches::compact(
    const std::shared_ptr<const Batch>& batch) {
  if (!batch) return nullptr;
  for (const Entry& e : recent_)
    if (e.raw == batch.get() && !e.original.expired()) return e.copy;
  RecordedBatch copy;
  copy.reserve(batch->size());
  for (const Request& r : *batch) copy.push_back(RecordedRequest{r.client, r.id, r.operation});
  Entry& slot = recent_[next_];
  next_ = (next_ + 1) % kRecent;
  slot = Entry{batch.get(), batch, std::make_shared<const RecordedBatch>(std::move(copy))};
  return slot.copy;
}

}  // namespace knhk::sim
