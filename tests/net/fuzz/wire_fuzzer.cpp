// libFuzzer target for the UDP receive path (optional; built by tests/net/fuzz/run.sh
// with clang, not part of the CMake build). The first input byte picks the mode:
//   even: the rest is one raw datagram from the network (framing, tag, reassembly);
//   odd:  the rest is sealed by a legitimate peer, so it reaches the message decoder
//         as authenticated bytes (what a Byzantine replica could send).
// Aborts if a raw datagram is ever delivered (it cannot carry a valid tag) or if the
// reassembly buffer outgrows its bound.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "net/wire.hpp"

using namespace knhk;
using namespace knhk::net;

namespace {

Ed25519KeyPair key_for(Principal p) {
  std::array<std::uint8_t, 32> seed{};
  seed[0] = static_cast<std::uint8_t>(p.kind) + 1;
  seed[1] = static_cast<std::uint8_t>(p.id);
  return ed25519_keypair_from_seed(seed);
}

struct Setup {
  std::map<Principal, PublicKey> directory;
  WireConfig config;
  Wire sender{LinkKeys(Principal::replica(NodeId(0)), key_for(Principal::replica(NodeId(0))), {}),
              {}};
  Wire receiver{sender};
  Setup() {
    for (std::uint32_t i = 0; i < 4; ++i)
      directory[Principal::replica(NodeId(i))] = key_for(Principal::replica(NodeId(i))).public_key;
    config.max_datagram_bytes = 600;
    config.replica_limits = {4, 64 * 1024, Duration::secs(2)};
    sender = Wire(
        LinkKeys(Principal::replica(NodeId(0)), key_for(Principal::replica(NodeId(0))), directory),
        config);
    receiver = Wire(
        LinkKeys(Principal::replica(NodeId(1)), key_for(Principal::replica(NodeId(1))), directory),
        config);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Setup s;
  if (size == 0) return 0;
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    if (s.receiver.open(rest, Time{})) std::abort();  // forged datagram delivered
  } else {
    std::vector<Bytes> datagrams;
    s.sender.seal(Principal::replica(NodeId(1)), rest, datagrams);
    for (const auto& d : datagrams) (void)s.receiver.open(d, Time{});
  }
  if (s.receiver.reassembly_bytes() > 64 * 1024) std::abort();
  return 0;
}
