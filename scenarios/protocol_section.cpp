#include "protocols/common/request.hpp"
#include "scenarios/sections.hpp"

namespace knhk::scenarios {

// Upper bound on cluster size: far above anything the simulator is meant for, low enough
// that an n² data structure cannot exhaust memory on a typo.
constexpr std::uint64_t kMaxNodes = 1024;

ProtocolSpec parse_protocol(const Source& src, const Field& f) {
  MapFields m(src, f,
              {"kind", "nodes", "batch_size", "batch_timeout", "checkpoint_interval",
               "view_timeout", "snapshot_interval", "crypto"});
  ProtocolSpec p;
  p.kind =
      as_enum<ProtocolKind>(src, m.required("kind"),
                            {{"pbft", ProtocolKind::pbft}, {"hotstuff", ProtocolKind::hotstuff}});
  if (auto v = m.optional("nodes")) {
    p.nodes = static_cast<std::uint32_t>(as_uint(src, *v, 0, kMaxNodes));
    if (p.nodes < 4)
      src.fail(*v, "`protocol.nodes` must be at least 4 (n = 3f + 1 with f ≥ 1), got " +
                       std::to_string(p.nodes));
  }
  if (auto v = m.optional("batch_size"))
    p.batch_size = static_cast<std::uint32_t>(as_uint(src, *v, 1, kMaxBatchRequests));
  if (auto v = m.optional("batch_timeout")) p.batch_timeout = as_duration(src, *v);
  if (auto v = m.optional("checkpoint_interval"))
    p.checkpoint_interval = as_uint(src, *v, 1, 1u << 20);
  if (auto v = m.optional("view_timeout")) p.view_timeout = as_positive_duration(src, *v);
  if (auto v = m.optional("snapshot_interval")) p.snapshot_interval = as_uint(src, *v, 1, 1u << 30);
  if (auto v = m.optional("crypto"))
    p.crypto = as_enum<CryptoScheme>(
        src, *v, {{"sim", CryptoScheme::sim}, {"ed25519", CryptoScheme::ed25519}});
  return p;
}

}  // namespace knhk::scenarios
