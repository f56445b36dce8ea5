// What clients send and receive: signed requests, batches of them, and replies.
#pragma once

#include <memory>
#include <vector>

#include "protocols/common/codec.hpp"
#include "protocols/common/crypto.hpp"
#include "protocols/common/digest.hpp"
#include "protocols/common/types.hpp"

namespace knhk {

inline constexpr std::uint32_t kMaxOperationBytes = 1u << 16;
inline constexpr std::uint32_t kMaxBatchRequests = 1u << 16;

// A client's command; the operation bytes are interpreted by the Application.
struct Request {
  ClientId client;
  RequestId id;
  Bytes operation;
  Signature signature{};  // by Principal::client(client) over the body

  bool operator==(const Request&) const = default;
};

// A replica's answer to one request. Clients accept a result after f+1 matching replies.
struct Reply {
  View view;  // lets a PBFT client learn the current primary
  ClientId client;
  RequestId id;
  NodeId replica;
  Bytes result;
  Signature signature{};  // by Principal::replica(replica) over the body

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
bool verify_request(const Request& r, const Verifier& verifier);
Reply make_signed_reply(View view, ClientId client, RequestId id, NodeId replica, Bytes result,
                        const Signer& signer);
bool verify_reply(const Reply& r, const Verifier& verifier);

}  // namespace knhk
