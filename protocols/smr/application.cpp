#include "protocols/smr/application.hpp"

#include "protocols/common/codec.hpp"
#include "protocols/smr/bank.hpp"
#include "protocols/smr/kv.hpp"

namespace knhk::smr {
namespace {

// Applies nothing and answers with an empty result; it only counts commands, so that
// its state hash still moves with the log and recovery can be checked against it.
class NoopApplication : public Application {
 public:
  Bytes apply(const Bytes&) override {
    ++applied_;
    return {};
  }
  Bytes snapshot() const override {
    Writer w;
    w.u8(kSnapshotTag);
    w.u64(applied_);
    return w.take();
  }
  bool restore(const Bytes& snapshot) override {
    try {
      Reader r(snapshot);
      if (r.u8() != kSnapshotTag) return false;
      auto applied = r.u64();
      r.expect_end();
      applied_ = applied;
      return true;
    } catch (const DecodeError&) {
      return false;
    }
  }
  Digest state_hash() const override { return blake2b(snapshot()); }

 private:
  static constexpr std::uint8_t kSnapshotTag = 0x4e;  // 'N'
  std::uint64_t applied_ = 0;
};

}  // namespace

Digest snapshot_state_hash(std::span<const std::uint8_t> app_snapshot) {
  if (auto kv_hash = kv::snapshot_state_hash(app_snapshot)) return *kv_hash;
  if (auto bank_hash = bank::snapshot_state_hash(app_snapshot)) return *bank_hash;
  return blake2b(app_snapshot);
}

std::unique_ptr<Application> make_application(AppKind kind, std::uint32_t keys) {
  switch (kind) {
    case AppKind::kv:
      return kv::make_kv_application(keys);
    case AppKind::bank:
      return bank::make_bank_application(keys);
    case AppKind::noop:
      return std::make_unique<NoopApplication>();
  }
  return std::make_unique<NoopApplication>();
}

std::optional<std::uint32_t> snapshot_size_field(std::span<const std::uint8_t> app_snapshot,
                                                 std::uint8_t tag) {
  if (app_snapshot.size() < 5 || app_snapshot[0] != tag) return std::nullopt;
  std::uint32_t size = 0;
  for (int i = 0; i < 4; ++i) size |= std::uint32_t{app_snapshot[1 + i]} << (8 * i);
  return size;
}

}  // namespace knhk::smr
