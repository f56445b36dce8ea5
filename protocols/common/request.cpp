#include "protocols/common/request.hpp"

#include <cstring>

namespace knhk {
namespace {

void put_signature(Writer& w, const Signature& s) {
  w.raw(s);
}
Signature get_signature(Reader& r) {
  Signature s{};
  auto raw = r.raw(s.size());
  std::memcpy(s.data(), raw.data(), s.size());
  return s;
}

}  // namespace

void encode_body(Writer& w, const Request& r) {
  w.u8(0x51);  // domain tag: a request body
  put(w, r.client);
  put(w, r.id);
  w.bytes(r.operation);
}

void encode(Writer& w, const Request& r) {
  encode_body(w, r);
  put_signature(w, r.signature);
}

Request decode_request(Reader& r) {
  if (r.u8() != 0x51) throw DecodeError("bad request tag");
  Request q;
  q.client = get_id<ClientId>(r);
  q.id = get_id<RequestId>(r);
  q.operation = r.bytes(kMaxOperationBytes);
  q.signature = get_signature(r);
  return q;
}

void encode_body(Writer& w, const Reply& r) {
  w.u8(0x52);
  put(w, r.view);
  put(w, r.client);
  put(w, r.id);
  put(w, r.replica);
  w.bytes(r.result);
}

void encode(Writer& w, const Reply& r) {
  encode_body(w, r);
  put_signature(w, r.signature);
}

Reply decode_reply(Reader& r) {
  if (r.u8() != 0x52) throw DecodeError("bad reply tag");
  Reply p;
  p.view = get_id<View>(r);
  p.client = get_id<ClientId>(r);
  p.id = get_id<RequestId>(r);
  p.replica = get_id<NodeId>(r);
  p.result = r.bytes(kMaxOperationBytes);
  p.signature = get_signature(r);
  return p;
}

void encode(Writer& w, const Batch& b) {
  w.u32(static_cast<std::uint32_t>(b.size()));
  for (const auto& req : b) encode(w, req);
}

Batch decode_batch(Reader& r) {
  // Smallest request: tag + client + id + empty operation + signature.
  constexpr std::size_t kMinRequestBytes = 1 + 4 + 8 + 4 + 64;
  auto n = r.length(kMinRequestBytes, kMaxBatchRequests);
  Batch b;
  b.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) b.push_back(decode_request(r));
  return b;
}

Digest batch_digest(const Batch& b) {
  thread_local Writer w;
  w.clear();
  encode(w, b);
  return blake2b(w.bytes());
}

Request make_signed_request(ClientId client, RequestId id, Bytes operation, const Signer& signer) {
  Request r{client, id, std::move(operation), {}};
  Writer w;
  encode_body(w, r);
  r.signature = signer.sign(w.bytes());
  return r;
}

bool verify_request(const Request& r, const Verifier& verifier) {
  thread_local Writer w;
  w.clear();
  encode_body(w, r);
  return verifier.verify(Principal::client(r.client), w.bytes(), r.signature);
}

Reply make_signed_reply(View view, ClientId client, RequestId id, NodeId replica, Bytes result,
                        const Signer& signer) {
  Reply r{view, client, id, replica, std::move(result), {}};
  Writer w;
  encode_body(w, r);
  r.signature = signer.sign(w.bytes());
  return r;
}

bool verify_reply(const Reply& r, const Verifier& verifier) {
  thread_local Writer w;
  w.clear();
  encode_body(w, r);
  return verifier.verify(Principal::replica(r.replica), w.bytes(), r.signature);
}

}  // namespace knhk
