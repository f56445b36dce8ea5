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
};

}  // namespace knhk
