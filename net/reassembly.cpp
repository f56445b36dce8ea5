#include "net/reassembly.hpp"

#include <algorithm>
#include <cstring>

namespace knhk::net {

std::optional<Bytes> Reassembler::add(const FrameHeader& h, std::span<const std::uint8_t> fragment,
                                      Time now, DropCounters& drops) {
  if (h.fragment_count == 1) return Bytes(fragment.begin(), fragment.end());
  SenderState& s = senders_[h.sender];
  Partial* p = find_or_open(s, h, now, drops);
  if (!p) return std::nullopt;
  if (p->have[h.fragment_index]) return std::nullopt;  // duplicate datagram: harmless
  std::size_t offset = fragment_chunk_bytes(h.total_length, h.fragment_count) * h.fragment_index;
  std::memcpy(p->data.data() + offset, fragment.data(), fragment.size());
  p->have[h.fragment_index] = true;
  if (++p->received < p->fragment_count) return std::nullopt;
  Bytes whole = std::move(p->data);
  s.bytes -= p->total_length;
  s.partials.erase(h.message_id);
  s.completed.push_back(h.message_id);
  if (s.completed.size() > kRememberCompleted) s.completed.pop_front();
  return whole;
}

Reassembler::Partial* Reassembler::find_or_open(SenderState& s, const FrameHeader& h, Time now,
                                                DropCounters& drops) {
  auto it = s.partials.find(h.message_id);
  if (it != s.partials.end()) {
    Partial& p = it->second;
    if (p.total_length != h.total_length || p.fragment_count != h.fragment_count) {
      drops.add(DropReason::reassembly_conflict);
      return nullptr;
    }
    return &p;
  }
  if (std::find(s.completed.begin(), s.completed.end(), h.message_id) != s.completed.end())
    return nullptr;  // a duplicate of a fragment of a message already delivered
  if (h.total_length > limits_.max_bytes) {
    drops.add(DropReason::reassembly_evicted);
    return nullptr;
  }
  while (!s.partials.empty() && (s.partials.size() >= limits_.max_partials ||
                                 s.bytes + h.total_length > limits_.max_bytes))
    evict_oldest(s, drops);
  Partial p;
  p.first_seen = now;
  p.total_length = h.total_length;
  p.fragment_count = h.fragment_count;
  p.have.assign(h.fragment_count, false);
  p.data.resize(h.total_length);
  s.bytes += h.total_length;
  return &s.partials.emplace(h.message_id, std::move(p)).first->second;
}

void Reassembler::evict_oldest(SenderState& s, DropCounters& drops) {
  auto oldest = std::min_element(s.partials.begin(), s.partials.end(), [](auto& a, auto& b) {
    return std::pair(a.second.first_seen, a.first) < std::pair(b.second.first_seen, b.first);
  });
  s.bytes -= oldest->second.total_length;
  s.partials.erase(oldest);
  drops.add(DropReason::reassembly_evicted);
}

void Reassembler::expire(Time now, DropCounters& drops) {
  for (auto& [sender, s] : senders_) {
    for (auto it = s.partials.begin(); it != s.partials.end();) {
      if (now - it->second.first_seen < limits_.timeout) {
        ++it;
        continue;
      }
      s.bytes -= it->second.total_length;
      it = s.partials.erase(it);
      drops.add(DropReason::reassembly_timeout);
    }
  }
}

std::size_t Reassembler::partial_messages() const {
  std::size_t n = 0;
  for (const auto& [sender, s] : senders_) n += s.partials.size();
  return n;
}

std::size_t Reassembler::buffered_bytes() const {
  std::size_t n = 0;
  for (const auto& [sender, s] : senders_) n += s.bytes;
  return n;
}

}  // namespace knhk::net
