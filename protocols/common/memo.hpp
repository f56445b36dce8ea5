// A value derived from an immutable message, computed on first use and kept with it.
//
// In the simulator one message object is delivered to every replica it was sent to, so
// a pure function of it (a batch's encoding and digest) computed through a Memo runs
// once per message instead of once per receiver. Over the network every process decodes
// its own copy and computes it once, as before. Each replica still gets exactly the value
// it would have computed itself: the Memo changes how often, never what.
//
// Only for an object that no longer changes (one inside a shared, const message). A copy
// starts empty, so code that copies a message and then alters the copy (the Byzantine
// wrappers in faults/) never sees a stale value; the Memo takes no part in comparisons.
// Not synchronised: a message is used by one thread (each simulation runs on one).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "protocols/common/digest.hpp"

namespace knhk {

template <class T>
class Memo {
 public:
  Memo() = default;
  Memo(const Memo&) noexcept {}
  Memo& operator=(const Memo&) noexcept {
    value_.reset();
    return *this;
  }
  bool operator==(const Memo&) const { return true; }

  template <class Compute>
  const T& get(Compute&& compute) const {
    if (!value_) value_ = std::make_unique<const T>(compute());
    return *value_;
  }

 private:
  mutable std::unique_ptr<const T> value_;
};

// Whether a message's signature verified, remembered with the verifier that checked it.
// Every replica of a simulated cluster holds the same verifier, so a broadcast is checked
// once, not at each of its receivers; a different verifier checks for itself. The same
// rules as Memo: an unchanging object, a copy starts empty, not part of comparisons; and
// the verifier outlives the message (a simulation's verifier lives as long as the run).
class VerificationMemo {
 public:
  VerificationMemo() = default;
  VerificationMemo(const VerificationMemo&) noexcept {}
  VerificationMemo& operator=(const VerificationMemo&) noexcept {
    checked_by_ = nullptr;
    return *this;
  }
  bool operator==(const VerificationMemo&) const { return true; }

  template <class Check>
  bool passes(const void* verifier, Check&& check) const {
    if (checked_by_ != verifier || !verifier) {
      passed_ = check();
      checked_by_ = verifier;
    }
    return passed_;
  }

 private:
  mutable const void* checked_by_ = nullptr;
  mutable bool passed_ = false;
};

// Digests derived from an unchanging object and some other input, each remembered with
// the exact bytes it was computed from. Every replica of a simulated cluster executes the
// same request object, and the digests of its execution (its reply, the kv entry it
// writes) are pure functions of bytes that are nearly always the same at every replica:
// the first replica computes them, the others compare the bytes and take the digest. A
// replica whose bytes differ (its result diverged) gets no stored value: it computes its
// own, and that is remembered too while there is room. The caller passes every byte the
// digest depends on (a hash input whole, domain tag included), so a stored value is only
// ever returned for the input it is the digest of. The same rules as Memo: a copy starts
// empty, no part in comparisons, not synchronised. Inputs longer than kMaxInputBytes and
// entries beyond kMaxEntries are computed and not stored, so the memo stays small.
class DigestMemo {
 public:
  static constexpr std::size_t kMaxEntries = 4;
  static constexpr std::size_t kMaxInputBytes = 256;

  DigestMemo() = default;
  DigestMemo(const DigestMemo&) noexcept {}
  DigestMemo& operator=(const DigestMemo&) noexcept {
    clear();
    return *this;
  }
  bool operator==(const DigestMemo&) const { return true; }

  // compute() must return the digest of `input` and depend on nothing else.
  template <class Compute>
  Digest get(std::span<const std::uint8_t> input, Compute&& compute) const {
    Digest d;
    if (find(input, d)) return d;
    d = compute();
    store(input, d);
    return d;
  }
  std::size_t size() const { return entries_; }
  void clear() const {
    entries_ = 0;
    flat_.clear();
  }

 private:
  // Entries laid end to end in one buffer: a 4-byte input length, the input, the digest.
  // One allocation for the first entry; a lookup is a length check and a memcmp each.
  bool find(std::span<const std::uint8_t> input, Digest& out) const {
    const std::uint8_t* p = flat_.data();
    for (std::size_t i = 0; i < entries_; ++i) {
      std::uint32_t len;
      std::memcpy(&len, p, 4);
      const std::uint8_t* bytes = p + 4;
      if (len == input.size() && (len == 0 || std::memcmp(bytes, input.data(), len) == 0)) {
        std::memcpy(out.bytes.data(), bytes + len, out.bytes.size());
        return true;
      }
      p = bytes + len + sizeof(Digest);
    }
    return false;
  }
  void store(std::span<const std::uint8_t> input, const Digest& d) const {
    if (entries_ >= kMaxEntries || input.size() > kMaxInputBytes) return;
    if (flat_.empty()) flat_.reserve(kFirstReserve);
    const auto len = static_cast<std::uint32_t>(input.size());
    const auto* len_bytes = reinterpret_cast<const std::uint8_t*>(&len);
    flat_.insert(flat_.end(), len_bytes, len_bytes + 4);
    flat_.insert(flat_.end(), input.begin(), input.end());
    flat_.insert(flat_.end(), d.bytes.begin(), d.bytes.end());
    ++entries_;
  }
  static constexpr std::size_t kFirstReserve = 224;  // a reply and a kv entry, usually

  mutable std::vector<std::uint8_t> flat_;
  mutable std::uint8_t entries_ = 0;
};

}  // namespace knhk
