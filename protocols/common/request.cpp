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
Mac get_mac(Reader& r) {
  Mac m{};
  auto raw = r.raw(m.size());
  std::memcpy(m.data(), raw.data(), m.size());
  return m;
}

// After the body: one byte saying how it is authenticated, then the signature or MACs.
enum AuthTag : std::uint8_t { kBySignature = 0, kByMac = 1 };

// The signed/MACed bytes of a request or reply, encoded on the stack at each use: every
// request and reply is MACed or checked, and a body within the buffer needs neither an
// allocation nor a buffer kept between calls (a longer operation or result continues on
// the heap). Use within one expression or as a named local.
class Body {
 public:
  template <class T>
  explicit Body(const T& r) {
    encode_body(w_, r);
  }
  std::span<const std::uint8_t> bytes() const { return w_.view(); }

 private:
  StackWriter<256> w_;
};

}  // namespace

void encode_body(Writer& w, const Request& r) {
  FieldPack<1 + 4 + 8 + 4> head;
  head.u8(0x51);  // domain tag: a request body
  head.id(r.client);
  head.id(r.id);
  head.u32(static_cast<std::uint32_t>(r.operation.size()));
  head.append_to(w);
  w.raw(r.operation);
}

void encode(Writer& w, const Request& r) {
  encode_body(w, r);
  if (r.authenticator.empty()) {
    w.u8(kBySignature);
    put_signature(w, r.signature);
    return;
  }
  FieldPack<1 + 4> kind;
  kind.u8(kByMac);
  kind.u32(static_cast<std::uint32_t>(r.authenticator.size()));
  kind.append_to(w);
  // The MACs lie back to back in the vector: one append for all of them.
  static_assert(sizeof(Mac) == kMacBytes);
  w.raw({reinterpret_cast<const std::uint8_t*>(r.authenticator.data()),
         r.authenticator.size() * kMacBytes});
}

Request decode_request(Reader& r) {
  if (r.u8() != 0x51) throw DecodeError("bad request tag");
  Request q;
  q.client = get_id<ClientId>(r);
  q.id = get_id<RequestId>(r);
  q.operation = r.bytes(kMaxOperationBytes);
  switch (r.u8()) {
    case kBySignature:
      q.signature = get_signature(r);
      return q;
    case kByMac: {
      auto n = r.length(kMacBytes, kMaxAuthenticatorEntries);
      if (n == 0) throw DecodeError("empty request authenticator");  // canonical: signed
      q.authenticator.reserve(n);
      for (std::uint32_t i = 0; i < n; ++i) q.authenticator.push_back(get_mac(r));
      return q;
    }
    default:
      throw DecodeError("bad request authentication kind");
  }
}

void encode_body(Writer& w, const Reply& r) {
  FieldPack<1 + 8 + 4 + 8 + 4 + 4> head;
  head.u8(0x52);
  head.id(r.view);
  head.id(r.client);
  head.id(r.id);
  head.id(r.replica);
  head.u32(static_cast<std::uint32_t>(r.result.size()));
  head.append_to(w);
  w.raw(r.result);
}

void encode(Writer& w, const Reply& r) {
  encode_body(w, r);
  if (!r.mac) {
    w.u8(kBySignature);
    put_signature(w, r.signature);
    return;
  }
  w.u8(kByMac);
  w.raw(*r.mac);
}

Reply decode_reply(Reader& r) {
  if (r.u8() != 0x52) throw DecodeError("bad reply tag");
  Reply p;
  p.view = get_id<View>(r);
  p.client = get_id<ClientId>(r);
  p.id = get_id<RequestId>(r);
  p.replica = get_id<NodeId>(r);
  p.result = r.bytes(kMaxOperationBytes);
  switch (r.u8()) {
    case kBySignature:
      p.signature = get_signature(r);
      return p;
    case kByMac:
      p.mac = get_mac(r);
      return p;
    default:
      throw DecodeError("bad reply authentication kind");
  }
}

void encode(Writer& w, const Batch& b) {
  w.u32(static_cast<std::uint32_t>(b.size()));
  for (const auto& req : b) encode(w, req);
}

Batch decode_batch(Reader& r) {
  // Smallest request: tag + client + id + empty operation + kind + one-entry authenticator.
  constexpr std::size_t kMinRequestBytes = 1 + 4 + 8 + 4 + 1 + 4 + kMacBytes;
  auto n = r.length(kMinRequestBytes, kMaxBatchRequests);
  Batch b;
  b.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) b.push_back(decode_request(r));
  return b;
}

// The bytes of encode(w, b), streamed into a Hasher one request at a time from a stack
// buffer: no allocation whatever the batch size, no buffer kept between calls, and the
// same digest (it depends on the bytes alone, not on how they are split).
Digest batch_digest(const Batch& b) {
  StackWriter<512> w;
  w.u32(static_cast<std::uint32_t>(b.size()));
  Hasher h;
  for (const auto& req : b) {
    encode(w, req);
    h.update(w.view());
    w.clear();
  }
  h.update(w.view());
  return h.finish();
}

Request make_signed_request(ClientId client, RequestId id, Bytes operation, const Signer& signer) {
  Request r{client, id, std::move(operation), {}, {}};
  r.signature = signer.sign(Body(r).bytes());
  return r;
}

Request make_authenticated_request(ClientId client, RequestId id, Bytes operation,
                                   const SessionKeys& keys, std::uint32_t replicas) {
  Request r{client, id, std::move(operation), {}, {}};
  const Body body(r);
  r.authenticator.resize(replicas);
  for (std::uint32_t i = 0; i < replicas; ++i)
    if (auto m = keys.mac(Principal::replica(NodeId(i)), body.bytes())) r.authenticator[i] = *m;
  return r;
}

Request make_client_request(ClientId client, RequestId id, Bytes operation, const Signer& signer,
                            std::uint32_t replicas) {
  if (const SessionKeys* keys = signer.session_keys())
    return make_authenticated_request(client, id, std::move(operation), *keys, replicas);
  return make_signed_request(client, id, std::move(operation), signer);
}

bool verify_request(const Request& r, const Verifier& verifier) {
  if (!r.authenticator.empty()) return false;
  return verifier.verify(Principal::client(r.client), Body(r).bytes(), r.signature);
}

const char* to_string(RequestAuth a) {
  switch (a) {
    case RequestAuth::ok:
      return "ok";
    case RequestAuth::bad_signature:
      return "bad_request_signature";
    case RequestAuth::bad_mac:
      return "bad_request_mac";
    case RequestAuth::bad_authenticator_length:
      return "bad_authenticator_length";
    case RequestAuth::no_session_keys:
      return "no_session_keys";
  }
  return "?";
}

RequestAuth check_request(const Request& r, const Signer& self, const Verifier& verifier,
                          std::uint32_t replicas) {
  if (r.authenticator.empty())
    return verify_request(r, verifier) ? RequestAuth::ok : RequestAuth::bad_signature;
  if (r.authenticator.size() != replicas) return RequestAuth::bad_authenticator_length;
  const SessionKeys* keys = self.session_keys();
  Principal me = self.principal();
  if (!keys || me.kind != Principal::Kind::replica || me.id >= replicas)
    return RequestAuth::no_session_keys;
  bool ok = keys->check(Principal::client(r.client), Body(r).bytes(), r.authenticator[me.id]);
  return ok ? RequestAuth::ok : RequestAuth::bad_mac;
}

bool has_forged_signature(const Batch& b, const Verifier& verifier) {
  for (const auto& r : b)
    if (r.authenticator.empty() && !verify_request(r, verifier)) return true;
  return false;
}

Reply make_signed_reply(View view, ClientId client, RequestId id, NodeId replica, Bytes result,
                        const Signer& signer) {
  Reply r{view, client, id, replica, std::move(result), {}, {}};
  r.signature = signer.sign(Body(r).bytes());
  return r;
}

Reply make_reply(View view, ClientId client, RequestId id, NodeId replica, Bytes result,
                 const Signer& signer) {
  const SessionKeys* keys = signer.session_keys();
  if (!keys) return make_signed_reply(view, client, id, replica, std::move(result), signer);
  Reply r{view, client, id, replica, std::move(result), {}, {}};
  // An unknown client gets a zero MAC, which it cannot accept: no reply was owed to it.
  r.mac = keys->mac(Principal::client(client), Body(r).bytes()).value_or(Mac{});
  return r;
}

bool verify_reply(const Reply& r, const Verifier& verifier) {
  if (r.mac) return false;
  return verifier.verify(Principal::replica(r.replica), Body(r).bytes(), r.signature);
}

bool check_reply(const Reply& r, const Signer& self, const Verifier& verifier) {
  if (!r.mac) return verify_reply(r, verifier);
  const SessionKeys* keys = self.session_keys();
  if (!keys || self.principal() != Principal::client(r.client)) return false;
  return keys->check(Principal::replica(r.replica), Body(r).bytes(), *r.mac);
}

}  // namespace knhk
