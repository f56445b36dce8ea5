// rapidcheck generators for the wire types of protocols/common and protocols/pbft.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstring>

#include "protocols/message.hpp"

namespace knhk::testing::gen {

inline rc::Gen<Bytes> bytes(std::size_t max_len = 64) {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, max_len + 1), [](std::size_t n) {
    return rc::gen::container<Bytes>(n, rc::gen::arbitrary<std::uint8_t>());
  });
}

template <std::size_t N>
rc::Gen<std::array<std::uint8_t, N>> byte_array() {
  return rc::gen::map(rc::gen::container<Bytes>(N, rc::gen::arbitrary<std::uint8_t>()),
                      [](const Bytes& b) {
                        std::array<std::uint8_t, N> a{};
                        std::copy(b.begin(), b.end(), a.begin());
                        return a;
                      });
}

inline rc::Gen<Signature> signature() {
  return byte_array<64>();
}
inline rc::Gen<Digest> digest() {
  return rc::gen::map(byte_array<32>(), [](const std::array<std::uint8_t, 32>& a) {
    Digest d;
    d.bytes = a;
    return d;
  });
}

template <class Id>
rc::Gen<Id> id() {
  return rc::gen::map(rc::gen::arbitrary<typename Id::rep_type>(),
                      [](typename Id::rep_type v) { return Id(v); });
}

inline rc::Gen<Request> request() {
  return rc::gen::apply(
      [](ClientId c, RequestId i, Bytes op, Signature s) {
        return Request{c, i, op, s};
      },
      id<ClientId>(), id<RequestId>(), bytes(), signature());
}

inline rc::Gen<Reply> reply() {
  return rc::gen::apply([](View v, ClientId c, RequestId i, NodeId n, Bytes res,
                           Signature s) { return Reply{v, c, i, n, res, s}; },
                        id<View>(), id<ClientId>(), id<RequestId>(), id<NodeId>(), bytes(),
                        signature());
}

inline rc::Gen<Batch> batch() {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, 6),
                         [](std::size_t n) { return rc::gen::container<Batch>(n, request()); });
}

inline rc::Gen<pbft::Prepare> pbft_prepare() {
  return rc::gen::apply(
      [](View v, Seq s, Digest d, NodeId n, Signature sig) {
        return pbft::Prepare{v, s, d, n, sig};
      },
      id<View>(), id<Seq>(), digest(), id<NodeId>(), signature());
}

inline rc::Gen<pbft::Commit> pbft_commit() {
  return rc::gen::map(pbft_prepare(), [](const pbft::Prepare& p) {
    return pbft::Commit{p.view, p.seq, p.digest, p.replica, p.signature};
  });
}

inline rc::Gen<pbft::Checkpoint> pbft_checkpoint() {
  return rc::gen::apply(
      [](Seq s, Digest d, NodeId n, Signature sig) {
        return pbft::Checkpoint{s, d, n, sig};
      },
      id<Seq>(), digest(), id<NodeId>(), signature());
}

inline rc::Gen<pbft::PrePrepare> pbft_pre_prepare() {
  return rc::gen::apply([](View v, Seq s, Digest d, Batch b, NodeId n,
                           Signature sig) { return pbft::PrePrepare{v, s, d, b, n, sig}; },
                        id<View>(), id<Seq>(), digest(), batch(), id<NodeId>(), signature());
}

inline rc::Gen<pbft::Message> pbft_message() {
  return rc::gen::oneOf(rc::gen::cast<pbft::Message>(pbft_prepare()),
                        rc::gen::cast<pbft::Message>(pbft_commit()),
                        rc::gen::cast<pbft::Message>(pbft_checkpoint()),
                        rc::gen::cast<pbft::Message>(pbft_pre_prepare()));
}

// Outer messages of every family whose generator exists here.
inline rc::Gen<Message> message() {
  return rc::gen::oneOf(
      rc::gen::map(request(), [](Request r) { return Message{std::move(r)}; }),
      rc::gen::map(reply(), [](Reply r) { return Message{std::move(r)}; }),
      rc::gen::map(pbft_message(), [](pbft::Message m) { return Message{std::move(m)}; }));
}

}  // namespace knhk::testing::gen
