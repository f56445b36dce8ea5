// A sans-I/O BFT client: authenticates requests (a MAC authenticator when its signer
// holds session keys, else a signature), sends them to every replica, accepts a result
// once f+1 distinct replicas sent matching authenticated replies (at least one of them is
// honest, PBFT §4.1), and retransmits to every replica after `request_timeout`.
// The simulator and the UDP client both drive it: inputs with `now`, outputs returned.
#pragma once

#include <bitset>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "protocols/common/crypto.hpp"
#include "protocols/common/host.hpp"
#include "protocols/common/request.hpp"
#include "protocols/common/types.hpp"

namespace knhk {

struct ClientCoreConfig {
  ClientId id;
  std::uint32_t replicas = 4;  // n; a result needs f + 1 matching replies
  Duration request_timeout = Duration::secs(1);
  // Id of the first request. Replicas execute a client's requests at most once by id, so
  // a real client process reusing an identity must start above its earlier runs.
  RequestId first_request{1};
};

// A request that just completed.
struct ClientCompletion {
  RequestId id;
  Bytes result;
  Time submitted;
  Time completed;
  std::uint32_t retransmissions = 0;
};

// What one input produced: messages for every replica (each a Request message) and
// completions. Rejected replies are counted by ClientCore::rejected().
struct ClientOutput {
  std::vector<MessagePtr> to_all_replicas;
  std::vector<ClientCompletion> completions;
  void clear() {
    to_all_replicas.clear();
    completions.clear();
  }
};

class ClientCore {
 public:
  ClientCore(ClientCoreConfig config, std::shared_ptr<const Signer> signer,
             std::shared_ptr<const Verifier> verifier);

  ClientId id() const { return config_.id; }
  // Authenticates a new request (ids first_request, +1, ...) for every replica.
  RequestId submit(Time now, Bytes operation, ClientOutput& out);
  // Verifies and counts one reply; completes its request at f + 1 matching replies.
  void on_reply(Time now, const Reply& reply, ClientOutput& out);
  // Retransmits every request whose deadline has passed, and re-arms its deadline.
  void on_timer(Time now, ClientOutput& out);
  // When on_timer should next be called, if any request is outstanding.
  std::optional<Time> next_deadline() const;

  std::size_t outstanding() const { return pending_.size(); }
  // Replies ignored, by reason ("bad_signature", "bad_mac", "unknown_request", ...).
  std::map<std::string, std::uint64_t> rejected() const;

 private:
  struct Pending {
    MessagePtr message;  // the request, as sent and retransmitted
    Time submitted;
    Time deadline;
    std::uint32_t retransmissions = 0;
    // Each distinct result with the replicas that sent it (few distinct results, so a
    // vector); a replica is counted once per request.
    std::vector<std::pair<Bytes, std::uint32_t>> votes;
    std::bitset<kMaxAuthenticatorEntries> replied;  // by replica id (no node per reply)
  };
  void reject(const char* reason) { ++rejected_[reason]; }

  ClientCoreConfig config_;
  QuorumRules rules_;
  std::shared_ptr<const Signer> signer_;
  std::shared_ptr<const Verifier> verifier_;
  RequestId next_id_{1};
  // Outstanding requests by id, in increasing order (ids are issued in order): a handful
  // per client, so a vector — no tree node per request, and on_timer() sees them in id
  // order as before.
  std::vector<std::pair<RequestId, Pending>> pending_;
  std::vector<std::pair<RequestId, Pending>>::iterator find_pending(RequestId id);
  std::map<std::string, std::uint64_t> rejected_;
  // Replies arriving after f + 1 matching ones completed their request ("unknown_request"):
  // n - f - 1 of every n replies, so counted without building a map key each time.
  std::uint64_t late_replies_ = 0;
};

}  // namespace knhk
