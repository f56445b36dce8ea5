// Protocol-aware rewrites of one outgoing message, for the Byzantine behaviours. A
// Byzantine node holds only its own signing key: every rewrite that should still verify
// is re-signed with that key (pbft::sign / hotstuff::sign), never with another node's.
// Each function returns nullptr when the message has nothing the rewrite applies to.
#pragma once

#include "protocols/common/crypto.hpp"
#include "protocols/message.hpp"
#include "sim/rng.hpp"

namespace knhk::faults {

// The same message with 64 bytes of garbage in place of its signature.
MessagePtr with_garbage_signature(const Message& m);
// A digest (or block hash) changed so it no longer matches the content, re-signed.
MessagePtr with_corrupt_digest(const Message& m, const Signer& signer);
// One field changed: view/seq/height ±1 or the digest swapped, re-signed (ByzzFuzz-style
// small-scope mutation).
MessagePtr with_mutation(const Message& m, const Signer& signer, sim::Rng& rng);
// A vote (PBFT prepare/commit, HotStuff vote) for a different value in the same slot.
MessagePtr conflicting_vote(const Message& m, const Signer& signer);
// A leader's proposal (PBFT pre-prepare, HotStuff proposal) for a different batch in the
// same slot: the last request dropped, or a null request for a one-request batch.
MessagePtr alternative_proposal(const Message& m, const Signer& signer);

bool is_proposal(const Message& m);
bool is_vote(const Message& m);

}  // namespace knhk::faults
