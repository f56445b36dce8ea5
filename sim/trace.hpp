// The event trace of a run: one JSON object per line for every send, delivery, drop,
// duplicate, timer, commit, client event, fault and protocol trace event.
//
// A running digest covers every event whether or not a file is written, so a run always
// has a fingerprint. To stay cheap it is taken over a compact binary encoding of each event (the
// same fields, in the same order, as the JSON line, as fixed-width words with type names interned),
// buffered and hashed in blocks; the JSON text is formatted only when a sink is attached. Same
// config + seed ⇒ same events ⇒ same digest and same file.
//
// Every message makes two events (its send and its delivery), so those have a path of
// their own: record_message() takes the type as a handle interned once (intern()) and the
// view, sequence number and size as plain fields, and writes its bytes straight into the
// pending block — the same bytes record() writes for the equivalent TraceEvent.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/digest.hpp"
#include "protocols/common/types.hpp"

struct XXH3_state_s;

namespace knhk::sim {

enum class TraceKind : std::uint8_t {
  send,             // a replica or client handed a message to the network
  deliver,          // a copy arrived and was handed to its destination
  drop,             // lost: partition/block, random loss, fault loss, crashed destination
  duplicate,        // the network made an extra copy
  timer,            // a replica timer fired
  commit,           // a replica committed a batch (view, seq = log position)
  client_submit,    // a client submitted a request (seq = request id)
  client_complete,  // a client accepted f+1 matching replies
  client_retransmit,
  evidence,  // a replica reported Byzantine evidence against `to`
  fault,     // a fault was applied or reverted (detail describes it)
  crash,
  restart,
  protocol,  // a replica's own TraceEffect (type = its kind)
};
const char* to_string(TraceKind k);

// One event. Optional fields are omitted from the JSON line when unset.
// Field order in the line: time_ns, kind, node, type, from, to, view, seq, size, fault, detail.
struct TraceEvent {
  TraceEvent() = default;
  TraceEvent(Time t, TraceKind k, std::optional<Principal> at = std::nullopt,
             std::string_view message_type = {})
      : time(t), kind(k), node(at), type(message_type) {}

  Time time;
  TraceKind kind = TraceKind::protocol;
  std::optional<Principal> node;
  std::string_view type;
  std::optional<Principal> from;
  std::optional<Principal> to;
  std::optional<std::uint64_t> view;
  std::optional<std::uint64_t> seq;
  std::optional<std::uint64_t> size;
  std::string_view fault;   // label of the fault that caused it, if any
  std::string_view detail;  // free text (drop reason, digest prefix, ...)
};

// A message type name interned in a Trace (Trace::intern), in order of interning.
using TypeHandle = std::uint16_t;

// What the trace records about one message, computed once per send.
struct MessageFacts {
  std::uint64_t view = 0;
  std::uint64_t seq = 0;
  std::uint32_t size = 0;
  TypeHandle type = 0;
  bool has_view = false;
  bool has_seq = false;
};

class Trace {
 public:
  Trace();
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  void record(const TraceEvent& e);
  // The send (`kind` send: node = from, to = peer) or delivery (`kind` deliver: node = to,
  // from = peer) of a message: the same event as record() of message_event(...).
  void record_message(Time t, TraceKind kind, Principal node, Principal peer,
                      const MessageFacts& m);
  // The TraceEvent record_message() stands for (its type names the interned string).
  TraceEvent message_event(Time t, TraceKind kind, Principal node, Principal peer,
                           const MessageFacts& m) const;
  // A handle for `name` (the same handle for the same name). Interning affects nothing
  // recorded: a name enters the digest when an event first uses it.
  TypeHandle intern(std::string_view name);
  std::string_view type_name(TypeHandle h) const { return handle_names_[h]; }
  // Attaches a sink that receives every later event as a JSON line (nullptr detaches).
  void set_sink(std::ostream* out) { sink_ = out; }
  std::uint64_t events() const { return events_; }
  // Digest over every event recorded so far (the trace can continue afterwards).
  Digest digest() const;

  // The JSON line for one event, without the newline (also used by tests and tools).
  static std::string to_json(const TraceEvent& e);
  static void append_json(std::string& out, const TraceEvent& e);

 private:
  struct BinaryWriter;
  void encode_binary(const TraceEvent& e);
  void append_binary(const void* data, std::size_t n);
  [[gnu::noinline]] void record_message_slowly(Time t, TraceKind kind, Principal node,
                                               Principal peer, const MessageFacts& m);
  void spill_full_block();
  std::uint32_t type_id(std::string_view name, bool& is_new);
  std::uint32_t known_type_id(std::string_view name) const;

  std::ostream* sink_ = nullptr;
  std::uint64_t events_ = 0;
  std::string line_;  // reused JSON buffer
  // Binary form of events not yet hashed. Every full block of kBlockBytes goes into a
  // streaming XXH3-128 of all the bytes; digest() = BLAKE2b(XXH3-128(every byte) || event
  // count). A fingerprint against accidents, not adversaries: XXH3 hashes the ~12 bytes of
  // an event in about a tenth of BLAKE2b's time (BLAKE2b blocks were 2.8% of a PBFT
  // benchmark's instructions).
  // An event's fixed-size fields are written straight into the block, possibly running
  // up to kSlackBytes past its end; the bytes past kBlockBytes then start the next block.
  static constexpr std::size_t kBlockBytes = 1 << 16;
  static constexpr std::size_t kSlackBytes = 128;
  std::vector<std::uint8_t> block_;
  std::size_t used_ = 0;
  std::int64_t last_time_ns_ = 0;
  // Interned type names (see type_id in trace.cpp).
  struct TypeSlot {
    const char* data = nullptr;
    std::size_t size = 0;
    std::uint32_t id = 0;
  };
  TypeSlot type_slots_[64];
  std::vector<std::string> type_names_;
  std::map<std::string, std::uint32_t, std::less<>> type_ids_;
  // Interned names (record_message) and their type ids, kNoId until first recorded.
  static constexpr std::uint32_t kNoId = 0xffffffffu;
  std::map<std::string, TypeHandle, std::less<>> handles_;
  std::vector<std::string_view> handle_names_;  // keys of handles_ (stable)
  std::vector<std::uint32_t> handle_ids_;
  struct StreamDeleter {
    void operator()(XXH3_state_s* s) const;
  };
  std::unique_ptr<XXH3_state_s, StreamDeleter> stream_;
};

}  // namespace knhk::sim
