#include "faults/mutations.hpp"

namespace knhk::faults {
namespace {

void flip(Digest& d) {
  d.bytes[31] ^= 0xff;
}

template <class Id>
void nudge(Id& id, bool up) {
  id.value = (up || id.value == 0) ? id.value + 1 : id.value - 1;
}

template <class T>
MessagePtr wrap_pbft(T m, const Signer& signer) {
  pbft::Message inner = std::move(m);
  pbft::sign(inner, signer);
  return make_message(std::move(inner));
}

template <class T>
MessagePtr wrap_hotstuff(T m, const Signer& signer) {
  hotstuff::sign(m, signer);
  return make_message(hotstuff::Message(std::move(m)));
}

const pbft::Message* as_pbft(const Message& m) {
  return std::get_if<pbft::Message>(&m.body);
}
const hotstuff::Message* as_hotstuff(const Message& m) {
  return std::get_if<hotstuff::Message>(&m.body);
}

Batch alternative_batch(const Batch& b) {
  Batch alt = b;
  if (!alt.empty()) alt.pop_back();
  return alt;
}

}  // namespace

MessagePtr with_garbage_signature(const Message& m) {
  Message copy = m;
  bool changed = false;
  auto garble = [&](auto& msg) {
    if constexpr (requires { msg.signature; }) {
      for (std::size_t i = 0; i < msg.signature.size(); ++i)
        msg.signature[i] = static_cast<std::uint8_t>(0xA5 ^ (i * 31));
      changed = true;
    }
  };
  std::visit(
      [&](auto& body) {
        using B = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<B, pbft::Message> || std::is_same_v<B, hotstuff::Message>)
          std::visit(garble, body);
        else
          garble(body);
      },
      copy.body);
  return changed ? std::make_shared<const Message>(std::move(copy)) : nullptr;
}

MessagePtr with_corrupt_digest(const Message& m, const Signer& signer) {
  if (auto* p = as_pbft(m)) {
    return std::visit(
        [&](const auto& msg) -> MessagePtr {
          if constexpr (requires { msg.digest; }) {
            auto copy = msg;
            flip(copy.digest);
            return wrap_pbft(std::move(copy), signer);
          }
          return nullptr;
        },
        *p);
  }
  if (auto* h = as_hotstuff(m)) {
    if (auto* prop = std::get_if<hotstuff::Proposal>(h)) {
      auto copy = *prop;
      flip(copy.block_hash);
      hotstuff::sign(copy, signer, /*keep_stated_hash=*/true);
      return make_message(hotstuff::Message(std::move(copy)));
    }
    if (auto* vote = std::get_if<hotstuff::Vote>(h)) {
      auto copy = *vote;
      flip(copy.block);
      return wrap_hotstuff(std::move(copy), signer);
    }
  }
  return nullptr;
}

MessagePtr with_mutation(const Message& m, const Signer& signer, sim::Rng& rng) {
  const auto field = rng.below(3);  // 0: view, 1: seq/height, 2: digest
  const bool up = rng.bernoulli(0.5);
  if (auto* p = as_pbft(m)) {
    return std::visit(
        [&](const auto& msg) -> MessagePtr {
          auto copy = msg;
          bool changed = false;
          if constexpr (requires { copy.view.next(); })
            if (field == 0) nudge(copy.view, up), changed = true;
          if constexpr (requires { copy.new_view.next(); })
            if (field == 0) nudge(copy.new_view, up), changed = true;
          if constexpr (requires { copy.seq.next(); })
            if (field == 1) nudge(copy.seq, up), changed = true;
          if constexpr (requires { copy.digest; })
            if (field == 2) flip(copy.digest), changed = true;
          return changed ? wrap_pbft(std::move(copy), signer) : nullptr;
        },
        *p);
  }
  if (auto* h = as_hotstuff(m)) {
    if (auto* prop = std::get_if<hotstuff::Proposal>(h)) {
      auto copy = *prop;
      if (field == 0) nudge(copy.block.view, up);
      if (field == 1) nudge(copy.block.height, up);
      if (field == 2) flip(copy.block.parent);
      return wrap_hotstuff(std::move(copy), signer);
    }
    if (auto* vote = std::get_if<hotstuff::Vote>(h)) {
      auto copy = *vote;
      if (field == 2)
        flip(copy.block);
      else
        nudge(copy.view, up);
      return wrap_hotstuff(std::move(copy), signer);
    }
    if (auto* nv = std::get_if<hotstuff::NewView>(h)) {
      auto copy = *nv;
      nudge(copy.view, up);
      return wrap_hotstuff(std::move(copy), signer);
    }
  }
  return nullptr;
}

MessagePtr conflicting_vote(const Message& m, const Signer& signer) {
  if (auto* p = as_pbft(m)) {
    if (auto* prep = std::get_if<pbft::Prepare>(p)) {
      auto copy = *prep;
      flip(copy.digest);
      return wrap_pbft(std::move(copy), signer);
    }
    if (auto* commit = std::get_if<pbft::Commit>(p)) {
      auto copy = *commit;
      flip(copy.digest);
      return wrap_pbft(std::move(copy), signer);
    }
  }
  if (auto* h = as_hotstuff(m))
    if (auto* vote = std::get_if<hotstuff::Vote>(h)) {
      auto copy = *vote;
      flip(copy.block);
      return wrap_hotstuff(std::move(copy), signer);
    }
  return nullptr;
}

MessagePtr alternative_proposal(const Message& m, const Signer& signer) {
  if (auto* p = as_pbft(m))
    if (auto* pp = std::get_if<pbft::PrePrepare>(p)) {
      if (pp->batch.empty()) return nullptr;
      auto copy = *pp;
      copy.batch = alternative_batch(pp->batch);
      copy.digest = batch_digest(copy.batch);
      return wrap_pbft(std::move(copy), signer);
    }
  if (auto* h = as_hotstuff(m))
    if (auto* prop = std::get_if<hotstuff::Proposal>(h)) {
      if (prop->block.batch.empty()) return nullptr;
      auto copy = *prop;
      copy.block.batch = alternative_batch(prop->block.batch);
      return wrap_hotstuff(std::move(copy), signer);  // sign() recomputes block_hash
    }
  return nullptr;
}

bool is_proposal(const Message& m) {
  if (auto* p = as_pbft(m)) return std::holds_alternative<pbft::PrePrepare>(*p);
  if (auto* h = as_hotstuff(m)) return std::holds_alternative<hotstuff::Proposal>(*h);
  return false;
}

bool is_vote(const Message& m) {
  if (auto* p = as_pbft(m))
    return std::holds_alternative<pbft::Prepare>(*p) || std::holds_alternative<pbft::Commit>(*p);
  if (auto* h = as_hotstuff(m)) return std::holds_alternative<hotstuff::Vote>(*h);
  return false;
}

}  // namespace knhk::faults
