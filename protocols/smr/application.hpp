// The replicated application: a deterministic state machine over opaque operations.
#pragma once

#include <memory>

#include "protocols/common/digest.hpp"
#include "protocols/common/params.hpp"
#include "protocols/common/types.hpp"

namespace knhk::smr {

class Application {
 public:
  virtual ~Application() = default;
  // Deterministic. A malformed operation yields an error result, never a throw.
  virtual Bytes apply(const Bytes& operation) = 0;
  virtual Bytes snapshot() const = 0;
  // Returns false (state unchanged) when the snapshot is malformed.
  virtual bool restore(const Bytes& snapshot) = 0;
  virtual Digest state_hash() const = 0;
};

std::unique_ptr<Application> make_application(AppKind kind, std::uint32_t keys);

}  // namespace knhk::smr
