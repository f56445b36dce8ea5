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

#include <memory>

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

}  // namespace knhk
