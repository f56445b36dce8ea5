// Every message that crosses a (simulated or real) link: client traffic plus each
// protocol's own variant. The codec here is the one the UDP host and fuzzers use.
#pragma once

#include <span>
#include <string_view>
#include <variant>

#include "protocols/common/codec.hpp"
#include "protocols/common/host.hpp"
#include "protocols/common/memo.hpp"
#include "protocols/common/request.hpp"
#include "protocols/hotstuff/messages.hpp"
#include "protocols/pbft/messages.hpp"

namespace knhk {

struct Message {
  std::variant<Request, Reply, pbft::Message, hotstuff::Message> body;
  // The receivers' check of the sender's signature (memo.hpp).
  VerificationMemo signature_check{};
};

template <class T>
MessagePtr make_message(T&& body) {
  return std::make_shared<const Message>(Message{std::forward<T>(body)});
}

// A ReplyEffect whose reply lives inside the Message that carries it: a replica sends a
// reply per executed request, and the host would otherwise copy each into a new message.
ReplyEffect reply_effect(ClientId client, Reply reply);

void encode(Writer& w, const Message& m);
Bytes encode(const Message& m);
// Never throws, never reads out of bounds; rejects trailing bytes.
Decoded<Message> decode_message(std::span<const std::uint8_t> data);

// Size of the canonical encoding, for bandwidth and byte counters.
std::size_t encoded_size(const Message& m);

// Stable name per message type ("request", "pbft.prepare", "hotstuff.vote"), for counters.
std::string_view type_name(const Message& m);

}  // namespace knhk
