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
  // Which message type it is, as the variant alternative chosen at each level (6 bits per
  // level, innermost in the high bits): equal kinds have equal knhk::type_name(), so the
  // simulator looks a type's name up once per kind instead of once per message.
  std::uint32_t kind = 0;
};

MessageInfo message_info(const Message& m);

}  // namespace knhk::sim
