// The view and sequence number a message carries, for the trace. Found generically
// (a `view`/`new_view` field of type View, a `seq`/`stable_seq` of type Seq, a `height`,
// or those of a nested `block`), so that protocol message changes need no edit here.
#pragma once

#include <cstdint>
#include <optional>

namespace knhk {
struct Message;
}

namespace knhk::sim {

struct MessageInfo {
  std::optional<std::uint64_t> view;
  std::optional<std::uint64_t> seq;  // PBFT sequence number, HotStuff height, request id
};

MessageInfo message_info(const Message& m);

}  // namespace knhk::sim
