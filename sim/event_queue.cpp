#include "sim/event_queue.hpp"

#include <algorithm>
#include <bit>

namespace knhk::sim {

namespace {
constexpr unsigned kMinBits = 6;   // one bitmap word
constexpr unsigned kMaxBits = 13;  // 8,192 buckets: 192 KiB of bucket headers
constexpr unsigned kMaxShift = 40;
// A sorted run longer than this is not inserted into before its bucket (see rewind()).
constexpr std::size_t kLongRun = 64;
// Buckets sized for about this many events: enough that opening one (a bitmap scan and
// a sort) is shared by several pops, few enough that the sort is an insertion sort.
constexpr std::int64_t kEventsPerBucket = 8;
// The first fit comes early: a short simulation (a fuzz run is a few thousand events)
// would otherwise spend most of its life in the default shape.
constexpr std::uint32_t kFirstEpochPops = 512;
}  // namespace

WheelShape fit_wheel_shape(const LoadSample& load, WheelShape current) {
  if (load.pops == 0 || load.elapsed_ns <= 0) return current;
  std::uint64_t total = 0;
  for (const auto n : load.delays) total += n;
  unsigned span_bits = 0;  // 7/8 of the delays are below 2^span_bits
  for (std::uint64_t seen = 0; span_bits + 1 < load.delays.size(); ++span_bits) {
    seen += load.delays[span_bits];
    if (seen * 8 >= total * 7) break;
  }
  const auto gap = static_cast<std::uint64_t>(load.elapsed_ns) / load.pops;
  const auto width = std::max<std::uint64_t>(1, gap * kEventsPerBucket);
  // Wider buckets rather than more than 2^kMaxBits of them: past a few hundred KB of
  // bucket headers, every push is a cache miss.
  const unsigned widest = span_bits > kMaxBits ? span_bits - kMaxBits : 0;
  const unsigned ideal_shift =
      std::min(kMaxShift, std::max<unsigned>(widest, std::bit_width(width) - 1));
  WheelShape fit = current;
  // A factor of two off is not worth a rebuild.
  if (ideal_shift + 2 <= current.shift || ideal_shift >= current.shift + 2) fit.shift = ideal_shift;
  const unsigned want = span_bits > fit.shift ? span_bits - fit.shift : 0;
  const unsigned bits = std::clamp(want, kMinBits, kMaxBits);
  // Grow at once (events beyond the span pay heap costs); shrink only when far too big.
  if (fit.shift != current.shift || bits > current.bits || bits + 2 < current.bits) fit.bits = bits;
  return fit;
}

EventQueue::EventQueue(EventQueueConfig config)
    : shape_(config.shape),
      epoch_pops_(config.epoch_pops),
      epoch_len_(std::min(config.epoch_pops, kFirstEpochPops)) {
  shape_.bits = std::clamp(shape_.bits, kMinBits, kMaxBits);
  shape_.shift = std::min(shape_.shift, kMaxShift);
  wheel_.resize(bucket_count());
  occupied_.assign(bucket_count() / 64, 0);
  cur_.reserve(64);
}

void EventQueue::push(const QueuedEvent& e) {
  if (epoch_pops_ != 0)
    ++epoch_.delays[std::bit_width(static_cast<std::uint64_t>(e.time - last_time_))];
  if (size_ == 0) {
    cur_.clear();
    pos_ = 0;
    cur_bucket_ = bucket_of(e.time);
    cur_.push_back(e);
    size_ = 1;
    return;
  }
  place(e);
  ++size_;
  keep_two_known();
}

QueuedEvent EventQueue::pop() {
  const QueuedEvent e = cur_[pos_++];
  --size_;
  last_time_ = e.time;
  keep_two_known();
  if (epoch_pops_ != 0 && ++epoch_.pops == epoch_len_) end_epoch();
  return e;
}

// Everything at or before the current bucket is in the sorted run; the rest is in the
// wheel if it spans that far, else in the overflow heap.
void EventQueue::place(const QueuedEvent& e) {
  const std::uint64_t b = bucket_of(e.time);
  if (b < cur_bucket_ && remaining() > kLongRun) rewind(b);
  if (b <= cur_bucket_)
    insert_current(e);
  else if (b - cur_bucket_ < bucket_count())
    put_in_wheel(b, e);
  else
    overflow_.push(e);
}

// Usually an append: a new event has the largest key, so it goes after every event at
// its time, and most land after the whole run.
void EventQueue::insert_current(const QueuedEvent& e) {
  const auto first = cur_.begin() + static_cast<std::ptrdiff_t>(pos_);
  const auto at = std::upper_bound(first, cur_.end(), e, runs_before);
  if (at == first && pos_ > 0)
    cur_[--pos_] = e;
  else
    cur_.insert(at, e);
}

// Files an event of bucket >= the current one; the caller sorts the run afterwards.
void EventQueue::file(const QueuedEvent& e) {
  const std::uint64_t b = bucket_of(e.time);
  if (b == cur_bucket_)
    cur_.push_back(e);
  else if (b - cur_bucket_ < bucket_count())
    put_in_wheel(b, e);
  else
    overflow_.push(e);
}

// An event before the current bucket while the sorted run is long — the queue was
// filled out of order (its first event was a late one), or the clock stopped short of
// the current bucket (run_until) and many events were scheduled since: instead of inserting into
// the run, possibly once per event, the current bucket moves back to the event's and the run goes
// back into the wheel.
void EventQueue::rewind(std::uint64_t bucket) {
  const std::uint64_t to = std::min(bucket, bucket_of(cur_[pos_].time));
  const std::vector<QueuedEvent> run(cur_.begin() + static_cast<std::ptrdiff_t>(pos_), cur_.end());
  cur_.clear();
  pos_ = 0;
  evict_from(to + bucket_count());
  cur_bucket_ = to;
  for (const auto& e : run) file(e);
  std::sort(cur_.begin(), cur_.end(), runs_before);
}

// Moves the wheel's buckets from `first` on to the overflow heap.
void EventQueue::evict_from(std::uint64_t first) {
  const std::uint64_t mask = bucket_count() - 1;
  for (std::size_t w = 0; w < occupied_.size(); ++w) {
    for (std::uint64_t bits = occupied_[w]; bits != 0; bits &= bits - 1) {
      const std::uint64_t slot = w * 64 + static_cast<unsigned>(std::countr_zero(bits));
      const std::uint64_t bucket = cur_bucket_ + 1 + ((slot - cur_bucket_ - 1) & mask);
      if (bucket < first) continue;
      auto& events = wheel_[slot];
      for (const auto& e : events) overflow_.push(e);
      in_wheel_ -= events.size();
      events.clear();
      occupied_[w] &= ~(std::uint64_t{1} << (slot % 64));
    }
  }
}

void EventQueue::put_in_wheel(std::uint64_t bucket, const QueuedEvent& e) {
  const std::uint64_t slot = bucket & (bucket_count() - 1);
  wheel_[slot].push_back(e);
  occupied_[slot / 64] |= std::uint64_t{1} << (slot % 64);
  ++in_wheel_;
}

// Keeps the next two events in the sorted run, so front() is always valid and second()
// is known for the prefetch hints.
void EventQueue::keep_two_known() {
  if (remaining() < 2 && size_ > remaining()) open_next_bucket();
}

// Appends the next non-empty bucket (from the wheel, or the overflow heap when the
// wheel is empty) to the run; what is left of the run (at most one event) is earlier.
void EventQueue::open_next_bucket() {
  cur_.erase(cur_.begin(), cur_.begin() + static_cast<std::ptrdiff_t>(pos_));
  pos_ = 0;
  const std::size_t kept = cur_.size();
  std::uint64_t next = 0;
  const bool in_wheel = in_wheel_ != 0 && next_wheel_bucket(next);
  // A wheel bucket is always before every overflow bucket.
  if (!in_wheel) next = bucket_of(overflow_.top().time);
  cur_bucket_ = next;
  if (in_wheel) take_wheel_bucket(next);
  migrate_overflow();
  sort_run(cur_.begin() + static_cast<std::ptrdiff_t>(kept), cur_.end());
}

// A bucket's events were mostly pushed in time order (a constant link delay keeps the
// send order), so it is often sorted already: one pass says so, cheaper than a sort.
void EventQueue::sort_run(std::vector<QueuedEvent>::iterator first,
                          std::vector<QueuedEvent>::iterator last) {
  if (!std::is_sorted(first, last, runs_before)) std::sort(first, last, runs_before);
}

// The first occupied slot after the current bucket's, going round the wheel once (the
// current bucket's own slot is always empty).
bool EventQueue::next_wheel_bucket(std::uint64_t& bucket) const {
  const std::uint64_t mask = bucket_count() - 1;
  const std::uint64_t start = (cur_bucket_ + 1) & mask;
  const std::size_t words = occupied_.size();
  std::size_t w = start / 64;
  std::uint64_t bits = occupied_[w] & (~std::uint64_t{0} << (start % 64));
  for (std::size_t i = 0; i <= words; ++i) {
    if (bits != 0) {
      const std::uint64_t slot = w * 64 + static_cast<unsigned>(std::countr_zero(bits));
      bucket = cur_bucket_ + 1 + ((slot - start) & mask);
      return true;
    }
    w = w + 1 == words ? 0 : w + 1;
    bits = occupied_[w];
  }
  return false;
}

void EventQueue::take_wheel_bucket(std::uint64_t bucket) {
  const std::uint64_t slot = bucket & (bucket_count() - 1);
  auto& events = wheel_[slot];
  cur_.insert(cur_.end(), events.begin(), events.end());
  in_wheel_ -= events.size();
  events.clear();
  occupied_[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
}

// The wheel now reaches further: events from the overflow heap that it covers move in.
void EventQueue::migrate_overflow() {
  while (!overflow_.empty()) {
    const std::uint64_t b = bucket_of(overflow_.top().time);
    if (b - cur_bucket_ >= bucket_count()) break;
    file(overflow_.pop());  // into the run, sorted with the rest of the opened bucket
  }
}

bool EventQueue::remove_key(std::uint64_t id, unsigned key_shift, QueuedEvent& removed) {
  bool found = false;
  for (std::size_t i = pos_; i < cur_.size() && !found; ++i) {
    if ((cur_[i].key >> key_shift) != id) continue;
    removed = cur_[i];
    cur_.erase(cur_.begin() + static_cast<std::ptrdiff_t>(i));
    found = true;
  }
  for (std::size_t slot = 0; slot < wheel_.size() && !found; ++slot) {
    auto& events = wheel_[slot];
    for (std::size_t i = 0; i < events.size(); ++i) {
      if ((events[i].key >> key_shift) != id) continue;
      removed = events[i];
      events.erase(events.begin() + static_cast<std::ptrdiff_t>(i));
      if (events.empty()) occupied_[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
      --in_wheel_;
      found = true;
      break;
    }
  }
  if (!found) found = overflow_.remove_key(id, key_shift, removed);
  if (!found) return false;
  --size_;
  keep_two_known();
  return true;
}

void EventQueue::end_epoch() {
  epoch_.elapsed_ns = last_time_ - epoch_start_;
  const WheelShape fit = fit_wheel_shape(epoch_, shape_);
  if (!(fit == shape_)) reshape(fit);
  epoch_ = LoadSample{};
  epoch_start_ = last_time_;
  epoch_len_ = epoch_pops_;
}

// Re-files every pending event under the new shape: O(pending), once per shape change.
void EventQueue::reshape(WheelShape shape) {
  std::vector<QueuedEvent> all(cur_.begin() + static_cast<std::ptrdiff_t>(pos_), cur_.end());
  all.reserve(size_);
  for (const auto& events : wheel_) all.insert(all.end(), events.begin(), events.end());
  all.insert(all.end(), overflow_.entries().begin(), overflow_.entries().end());
  shape_ = shape;
  wheel_.assign(bucket_count(), {});
  occupied_.assign(bucket_count() / 64, 0);
  in_wheel_ = 0;
  overflow_.clear();
  cur_.clear();
  pos_ = 0;
  ++reshapes_;
  if (all.empty()) return;
  std::int64_t earliest = all.front().time;
  for (const auto& e : all) earliest = std::min(earliest, e.time);
  cur_bucket_ = bucket_of(earliest);
  for (const auto& e : all) file(e);
  std::sort(cur_.begin(), cur_.end(), runs_before);
  keep_two_known();
}

}  // namespace knhk::sim
