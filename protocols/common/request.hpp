// What clients send and receive: authenticated requests, batches of them, and replies.
//
// A request is authenticated either by the client's signature or, when the client holds
// session keys (session_keys.hpp), by a MAC authenticator: one MAC per replica, entry i
// under the key the client shares with replica i (Castro & Liskov, TOCS 2002, §3.2).
// A reply carries either the replica's signature or one MAC for its client.
//
// A replica checks only its own authenticator entry, so it cannot tell, when a request
// inside a leader's proposal fails that check, whether the client or the leader lied:
// an authenticator does not convince a third party. The rule here (checked by
// check_request, applied by PBFT's PRE-PREPARE and HotStuff's proposal checks) is the
// conservative one: a replica accepts a proposed request only if it authenticated it
// itself, either because it received the identical request from the client or because
// its own entry verifies. Accepting on the leader's word would let a faulty leader forge
// requests (validity); refusing keeps safety, and a faulty client whose authenticator is
// good for the leader but bad for f + 1 others can at worst stall that slot and cause a
// view change (liveness cost under a faulty client, documented in docs/real-nodes.md).
// Such a failure is no proof against the leader, so it raises no evidence.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "protocols/common/codec.hpp"
#include "protocols/common/crypto.hpp"
#include "protocols/common/digest.hpp"
#include "protocols/common/memo.hpp"
#include "protocols/common/session_keys.hpp"
#include "protocols/common/types.hpp"

namespace knhk {

inline constexpr std::uint32_t kMaxOperationBytes = 1u << 16;
inline constexpr std::uint32_t kMaxBatchRequests = 1u << 16;
inline constexpr std::uint32_t kMaxAuthenticatorEntries = 1024;  // replicas in a cluster

// A client's command; the operation bytes are interpreted by the Application.
struct Request {
  ClientId client;
  RequestId id;
  Bytes operation;
  Signature signature{};  // by Principal::client(client) over the body, if no authenticator
  // MAC authenticator: entry i is the MAC of the body under the key of this client and
  // replica i. Empty for a signed request.
  std::vector<Mac> authenticator;
  // Digests of this request's execution (its reply, the kv entry it writes), kept with it
  // so the replicas of a simulated cluster, which execute the same request object, hash
  // each input once (memo.hpp). Not encoded, not compared; a copy starts empty.
  DigestMemo digests{};

  bool operator==(const Request&) const = default;
};

// A replica's answer to one request. Clients accept a result after f+1 matching replies.
struct Reply {
  View view;  // lets a PBFT client learn the current primary
  ClientId client;
  RequestId id;
  NodeId replica;
  Bytes result;
  Signature signature{};   // by Principal::replica(replica) over the body, if no MAC
  std::optional<Mac> mac;  // of the body under the key of this replica and the client

  bool operator==(const Reply&) const = default;
};

using Batch = std::vector<Request>;

void encode_body(Writer& w, const Request& r);
void encode(Writer& w, const Request& r);
Request decode_request(Reader& r);

void encode_body(Writer& w, const Reply& r);
void encode(Writer& w, const Reply& r);
Reply decode_reply(Reader& r);

void encode(Writer& w, const Batch& b);
Batch decode_batch(Reader& r);

// BLAKE2b over the canonical encoding of the batch (signatures included, so a
// replica cannot swap a client's signed request for another with the same body).
Digest batch_digest(const Batch& b);

Request make_signed_request(ClientId client, RequestId id, Bytes operation, const Signer& signer);
// An authenticator with one entry for each of replicas 0 .. replicas - 1.
Request make_authenticated_request(ClientId client, RequestId id, Bytes operation,
                                   const SessionKeys& keys, std::uint32_t replicas);
// What a client sends: MAC-authenticated if its signer holds session keys, else signed.
Request make_client_request(ClientId client, RequestId id, Bytes operation, const Signer& signer,
                            std::uint32_t replicas);
// The client's signature only; false for a MAC-authenticated request (see check_request).
bool verify_request(const Request& r, const Verifier& verifier);

// Why a replica refuses a request; reject-counter names from to_string.
enum class RequestAuth : std::uint8_t {
  ok,
  bad_signature,             // signed request, signature does not verify
  bad_mac,                   // our authenticator entry does not verify
  bad_authenticator_length,  // not one entry per replica
  no_session_keys,           // MAC-authenticated, but we hold no session keys
};
const char* to_string(RequestAuth a);
// The check replica `self` (a replica's signer) applies to a request in a cluster of
// `replicas`: the signature, or its own authenticator entry.
RequestAuth check_request(const Request& r, const Signer& self, const Verifier& verifier,
                          std::uint32_t replicas);
// True if some signed request in `b` does not verify: proof that whoever proposed the
// batch forged it. A failed MAC entry proves nothing (the client may have lied).
bool has_forged_signature(const Batch& b, const Verifier& verifier);

Reply make_signed_reply(View view, ClientId client, RequestId id, NodeId replica, Bytes result,
                        const Signer& signer);
// What a replica sends: a MAC for the client if its signer holds session keys, else signed.
Reply make_reply(View view, ClientId client, RequestId id, NodeId replica, Bytes result,
                 const Signer& signer);
// The replica's signature only; false for a MAC reply (see check_reply).
bool verify_reply(const Reply& r, const Verifier& verifier);
// The check the client `self` applies: the signature, or the MAC under its session key.
bool check_reply(const Reply& r, const Signer& self, const Verifier& verifier);

}  // namespace knhk
