#include "protocols/message.hpp"

namespace knhk {
namespace {

enum class Family : std::uint8_t { request = 1, reply = 2, pbft = 3, hotstuff = 4 };

struct EncodeBody {
  Writer& w;
  void operator()(const Request& r) const {
    w.u8(static_cast<std::uint8_t>(Family::request));
    encode(w, r);
  }
  void operator()(const Reply& r) const {
    w.u8(static_cast<std::uint8_t>(Family::reply));
    encode(w, r);
  }
  void operator()(const pbft::Message& m) const {
    w.u8(static_cast<std::uint8_t>(Family::pbft));
    pbft::encode(w, m);
  }
  void operator()(const hotstuff::Message& m) const {
    w.u8(static_cast<std::uint8_t>(Family::hotstuff));
    hotstuff::encode(w, m);
  }
};

struct TypeName {
  std::string_view operator()(const Request&) const { return "request"; }
  std::string_view operator()(const Reply&) const { return "reply"; }
  std::string_view operator()(const pbft::Message& m) const { return pbft::type_name(m); }
  std::string_view operator()(const hotstuff::Message& m) const { return hotstuff::type_name(m); }
};

Message decode_family(Reader& r) {
  switch (static_cast<Family>(r.u8())) {
    case Family::request:
      return Message{decode_request(r)};
    case Family::reply:
      return Message{decode_reply(r)};
    case Family::pbft:
      return Message{pbft::decode_message(r)};
    case Family::hotstuff:
      return Message{hotstuff::decode_message(r)};
  }
  throw DecodeError("unknown message family");
}

}  // namespace

void encode(Writer& w, const Message& m) {
  std::visit(EncodeBody{w}, m.body);
}

Bytes encode(const Message& m) {
  Writer w;
  encode(w, m);
  return w.take();
}

Decoded<Message> decode_message(std::span<const std::uint8_t> data) {
  Decoded<Message> out;
  if (data.size() > kMaxMessageBytes) {
    out.error = "message too large";
    return out;
  }
  try {
    Reader r(data);
    Message m = decode_family(r);
    r.expect_end();
    out.value = std::move(m);
  } catch (const DecodeError& e) {
    out.error = e.what();
  } catch (const std::bad_alloc&) {
    out.error = "allocation failed";
  } catch (const std::length_error&) {
    out.error = "length error";
  }
  return out;
}

ReplyEffect reply_effect(ClientId client, Reply reply) {
  MessagePtr message = make_message(std::move(reply));
  const auto* inside = &std::get<Reply>(message->body);
  return ReplyEffect{client, std::shared_ptr<const Reply>(message, inside), message};
}

std::size_t encoded_size(const Message& m) {
  Writer w(Writer::Mode::count);
  encode(w, m);
  return w.size();
}

std::string_view type_name(const Message& m) {
  return std::visit(TypeName{}, m.body);
}

}  // namespace knhk
