// Protocol parameters shared by PBFT and HotStuff, as the scenario's `protocol:` block gives them.
#pragma once

#include <cstdint>

#include "protocols/common/crypto.hpp"
#include "protocols/common/types.hpp"

namespace knhk {

enum class ProtocolKind { pbft, hotstuff };
const char* to_string(ProtocolKind k);

enum class AppKind { kv, bank, noop };
const char* to_string(AppKind k);

// Deliberately wrong protocol variants that show the checkers have teeth (issue 6).
// Only test code sets one: neither YAML nor the CLI can select them.
enum class BugVariant {
  none,
  small_quorum,                // quorum of 2f instead of n - f
  ignore_lock,                 // HotStuff: safeNode ignores the locked QC
  drop_prepared_certificates,  // PBFT: new-view ignores the P-sets of view changes
  execute_before_commit,       // execute a batch as soon as it is prepared/proposed
  gc_uncommitted,              // PBFT: checkpoint GC discards uncommitted entries too
};
const char* to_string(BugVariant b);

struct ProtocolParams {
  ProtocolKind kind = ProtocolKind::pbft;
  std::uint32_t nodes = 4;
  std::uint32_t batch_size = 1;
  Duration batch_timeout = Duration::millis_(1);
  std::uint64_t checkpoint_interval = 128;  // PBFT: K
  std::uint64_t log_window = 256;           // PBFT: L, high watermark = low + L
  Duration view_timeout = Duration::millis_(500);
  std::uint64_t snapshot_interval = 1024;  // SMR: snapshot every k commands
  CryptoScheme crypto = CryptoScheme::sim;
  AppKind app = AppKind::kv;
  std::uint32_t keys = 100;  // key space of the kv/bank application
  BugVariant bug = BugVariant::none;
};

}  // namespace knhk
