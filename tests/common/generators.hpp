// rapidcheck generators for the wire types of protocols/common and protocols/pbft.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

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

inline rc::Gen<Mac> mac() {
  return byte_array<kMacBytes>();
}

// A MAC authenticator (1..7 entries) or nothing: requests come in both forms.
inline rc::Gen<std::vector<Mac>> authenticator() {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, 8), [](std::size_t n) {
    return rc::gen::container<std::vector<Mac>>(n, mac());
  });
}

inline rc::Gen<std::optional<Mac>> optional_mac() {
  return rc::gen::mapcat(rc::gen::arbitrary<bool>(), [](bool has) -> rc::Gen<std::optional<Mac>> {
    if (!has) return rc::gen::just(std::optional<Mac>());
    return rc::gen::map(mac(), [](Mac m) { return std::optional<Mac>(m); });
  });
}

inline rc::Gen<Request> request() {
  return rc::gen::apply(
      [](ClientId c, RequestId i, Bytes op, Signature s, std::vector<Mac> auth) {
        // Canonical: a MAC-authenticated request carries no signature bytes.
        if (!auth.empty()) s = Signature{};
        return Request{c, i, op, s, std::move(auth)};
      },
      id<ClientId>(), id<RequestId>(), bytes(), signature(), authenticator());
}

inline rc::Gen<Reply> reply() {
  return rc::gen::apply(
      [](View v, ClientId c, RequestId i, NodeId n, Bytes res, Signature s, std::optional<Mac> m) {
        if (m) s = Signature{};
        return Reply{v, c, i, n, res, s, m};
      },
      id<View>(), id<ClientId>(), id<RequestId>(), id<NodeId>(), bytes(), signature(),
      optional_mac());
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

// A QC with strictly increasing voter ids (the canonical form the decoder demands).
inline rc::Gen<hotstuff::QuorumCert> hotstuff_qc() {
  return rc::gen::apply(
      [](View v, Digest d, std::vector<std::uint16_t> voters, Signature sig) {
        std::sort(voters.begin(), voters.end());
        voters.erase(std::unique(voters.begin(), voters.end()), voters.end());
        hotstuff::QuorumCert qc{v, d, {}};
        for (auto voter : voters) qc.votes.push_back({NodeId(voter), sig});
        return qc;
      },
      id<View>(), digest(),
      rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, 8),
                      [](std::size_t n) {
                        return rc::gen::container<std::vector<std::uint16_t>>(
                            n, rc::gen::arbitrary<std::uint16_t>());
                      }),
      signature());
}

inline rc::Gen<hotstuff::Block> hotstuff_block() {
  return rc::gen::apply([](Digest parent, View v, Height h, NodeId p, hotstuff::QuorumCert qc,
                           Batch b) { return hotstuff::Block{parent, v, h, p, qc, b}; },
                        digest(), id<View>(), id<Height>(), id<NodeId>(), hotstuff_qc(), batch());
}

inline rc::Gen<hotstuff::Message> hotstuff_message() {
  auto proposal = rc::gen::apply(
      [](hotstuff::Block b, Digest h, NodeId n, Signature s) {
        return hotstuff::Message{hotstuff::Proposal{b, h, n, s}};
      },
      hotstuff_block(), digest(), id<NodeId>(), signature());
  auto vote = rc::gen::apply(
      [](View v, Digest d, NodeId n, Signature s) {
        return hotstuff::Message{hotstuff::Vote{v, d, n, s}};
      },
      id<View>(), digest(), id<NodeId>(), signature());
  auto new_view = rc::gen::apply(
      [](View v, hotstuff::QuorumCert qc, NodeId n, Signature s) {
        return hotstuff::Message{hotstuff::NewView{v, qc, n, s}};
      },
      id<View>(), hotstuff_qc(), id<NodeId>(), signature());
  auto block_request = rc::gen::apply(
      [](Digest d, std::uint32_t max, NodeId n, Signature s) {
        return hotstuff::Message{hotstuff::BlockRequest{d, max, n, s}};
      },
      digest(), rc::gen::inRange<std::uint32_t>(1, hotstuff::kMaxSyncBlocks + 1), id<NodeId>(),
      signature());
  auto block_response = rc::gen::apply(
      [](Digest d, std::vector<hotstuff::Block> blocks, NodeId n, Signature s) {
        return hotstuff::Message{hotstuff::BlockResponse{d, blocks, n, s}};
      },
      digest(),
      rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, 3),
                      [](std::size_t n) {
                        return rc::gen::container<std::vector<hotstuff::Block>>(n,
                                                                                hotstuff_block());
                      }),
      id<NodeId>(), signature());
  return rc::gen::oneOf(proposal, vote, new_view, block_request, block_response);
}

// Outer messages of every family.
inline rc::Gen<Message> message() {
  return rc::gen::oneOf(
      rc::gen::map(request(), [](Request r) { return Message{std::move(r)}; }),
      rc::gen::map(reply(), [](Reply r) { return Message{std::move(r)}; }),
      rc::gen::map(pbft_message(), [](pbft::Message m) { return Message{std::move(m)}; }),
      rc::gen::map(hotstuff_message(), [](hotstuff::Message m) { return Message{std::move(m)}; }));
}

}  // namespace knhk::testing::gen
