#include "sim/trace.hpp"

#include <cstring>
#include <limits>
#include <ostream>
#include <stdexcept>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack (digest() copies the stream)
#include <xxhash.h>
// Runtime dispatch to the widest vector unit (AVX2/AVX-512): the baseline SSE2 build of
// XXH3 costs about an instruction per byte.
#include <xxh_x86dispatch.h>

#include "protocols/common/endian.hpp"

namespace knhk::sim {

const char* to_string(TraceKind k) {
  switch (k) {
    case TraceKind::send:
      return "send";
    case TraceKind::deliver:
      return "deliver";
    case TraceKind::drop:
      return "drop";
    case TraceKind::duplicate:
      return "duplicate";
    case TraceKind::timer:
      return "timer";
    case TraceKind::commit:
      return "commit";
    case TraceKind::client_submit:
      return "client_submit";
    case TraceKind::client_complete:
      return "client_complete";
    case TraceKind::client_retransmit:
      return "client_retransmit";
    case TraceKind::evidence:
      return "evidence";
    case TraceKind::fault:
      return "fault";
    case TraceKind::crash:
      return "crash";
    case TraceKind::restart:
      return "restart";
    case TraceKind::protocol:
      return "protocol";
  }
  return "?";
}

Trace::Trace() : block_(kBlockBytes + kSlackBytes), stream_(XXH3_createState()) {
  if (!stream_) throw std::bad_alloc();
  XXH3_128bits_reset(stream_.get());
  line_.reserve(256);
}

void Trace::StreamDeleter::operator()(XXH3_state_s* s) const {
  XXH3_freeState(s);
}

Trace::~Trace() = default;

namespace {

void append_u64(std::string& out, std::uint64_t v) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) out.push_back(buf[--n]);
}

void append_i64(std::string& out, std::int64_t v) {
  if (v < 0) {
    out.push_back('-');
    append_u64(out, static_cast<std::uint64_t>(0) - static_cast<std::uint64_t>(v));
  } else {
    append_u64(out, static_cast<std::uint64_t>(v));
  }
}

void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// Replicas are written as their integer id, clients as "c<id>".
void append_principal(std::string& out, Principal p) {
  if (p.kind == Principal::Kind::replica) {
    append_u64(out, p.id);
  } else {
    out += "\"c";
    append_u64(out, p.id);
    out.push_back('"');
  }
}

void append_key(std::string& out, const char* key) {
  out += ",\"";
  out += key;
  out += "\":";
}

}  // namespace

void Trace::append_json(std::string& out, const TraceEvent& e) {
  out += "{\"time_ns\":";
  append_i64(out, e.time.ns);
  append_key(out, "kind");
  append_string(out, to_string(e.kind));
  if (e.node) append_key(out, "node"), append_principal(out, *e.node);
  if (!e.type.empty()) append_key(out, "type"), append_string(out, e.type);
  if (e.from) append_key(out, "from"), append_principal(out, *e.from);
  if (e.to) append_key(out, "to"), append_principal(out, *e.to);
  if (e.view) append_key(out, "view"), append_u64(out, *e.view);
  if (e.seq) append_key(out, "seq"), append_u64(out, *e.seq);
  if (e.size) append_key(out, "size"), append_u64(out, *e.size);
  if (!e.fault.empty()) append_key(out, "fault"), append_string(out, e.fault);
  if (!e.detail.empty()) append_key(out, "detail"), append_string(out, e.detail);
  out.push_back('}');
}

std::string Trace::to_json(const TraceEvent& e) {
  std::string s;
  append_json(s, e);
  return s;
}

namespace {

// Fixed-width little-endian words, written at `p` (the caller guarantees the room). Wider
// than varints but branch-free: a varint's length depends on its value, and the
// mispredicted loop exits cost more than hashing the extra bytes with XXH3.
inline std::uint8_t* put_u64(std::uint8_t* p, std::uint64_t v) {
  store_le64(p, v);  // the digest must not depend on the host's byte order
  return p + 8;
}

inline std::uint8_t* put_principal(std::uint8_t* p, Principal who) {
  return put_u64(p,
                 (static_cast<std::uint64_t>(who.id) << 1) | static_cast<std::uint64_t>(who.kind));
}

inline std::uint64_t time_delta(std::int64_t now_ns, std::int64_t last_ns) {
  return static_cast<std::uint64_t>(now_ns - last_ns);
}

// Presence bits of the binary encoding, one per optional field.
enum : std::uint8_t {
  kNode = 1,
  kFrom = 2,
  kTo = 4,
  kView = 8,
  kSeq = 16,
  kSize = 32,
  kFault = 64,
  kDetail = 128,
};

}  // namespace

// Writes an event's fields as words straight into the trace's pending block: between
// two commits at most kSlackBytes (no run of fixed fields is longer), so they may run
// past the block's end into the slack. Texts are committed first and appended apart.
struct Trace::BinaryWriter {
  Trace& t;
  std::uint8_t* p = t.block_.data() + t.used_;

  void u64(std::uint64_t v) { p = put_u64(p, v); }
  void u8(std::uint8_t v) { *p++ = v; }
  void principal(Principal who) { p = put_principal(p, who); }
  void commit() {
    t.used_ = static_cast<std::size_t>(p - t.block_.data());
    if (t.used_ >= kBlockBytes) t.spill_full_block();
    p = t.block_.data() + t.used_;
  }
  void text(std::string_view s) {
    u64(s.size());
    commit();
    t.append_binary(s.data(), s.size());
    p = t.block_.data() + t.used_;
  }
};

// A small id per distinct type name, in order of first appearance (deterministic). The
// first appearance also writes the name itself, so the digest covers the names. The
// direct-mapped cache is keyed by address but only trusted after comparing content, so
// a transient string reusing an address cannot get a wrong id.
std::uint32_t Trace::type_id(std::string_view name, bool& is_new) {
  is_new = false;
  TypeSlot& slot = type_slots_[(reinterpret_cast<std::uintptr_t>(name.data()) >> 3) % 64];
  if (slot.data == name.data() && slot.size == name.size() && slot.id < type_names_.size() &&
      std::string_view(type_names_[slot.id]) == name)
    return slot.id;
  auto it = type_ids_.find(name);
  if (it == type_ids_.end()) {
    is_new = true;
    const auto id = static_cast<std::uint32_t>(type_names_.size());
    type_names_.emplace_back(name);
    it = type_ids_.emplace(std::string(name), id).first;
  }
  slot = {name.data(), name.size(), it->second};
  return it->second;
}

std::uint32_t Trace::known_type_id(std::string_view name) const {
  auto it = type_ids_.find(name);
  return it == type_ids_.end() ? kNoId : it->second;
}

TypeHandle Trace::intern(std::string_view name) {
  auto it = handles_.find(name);
  if (it != handles_.end()) return it->second;
  if (handle_names_.size() > std::numeric_limits<TypeHandle>::max())
    throw std::length_error("Trace::intern: too many type names");
  const auto h = static_cast<TypeHandle>(handle_names_.size());
  it = handles_.emplace(std::string(name), h).first;
  handle_names_.push_back(it->first);
  handle_ids_.push_back(known_type_id(name));
  return h;
}

// The same fields as the JSON line, in the same order: time as the difference to the
// previous event, kind, a presence bitmap, then each present field as a 64-bit word
// (type names as ids, texts length-prefixed). One encoding per event.
void Trace::encode_binary(const TraceEvent& e) {
  std::uint8_t present = 0;
  if (e.node) present |= kNode;
  if (e.from) present |= kFrom;
  if (e.to) present |= kTo;
  if (e.view) present |= kView;
  if (e.seq) present |= kSeq;
  if (e.size) present |= kSize;
  if (!e.fault.empty()) present |= kFault;
  if (!e.detail.empty()) present |= kDetail;
  BinaryWriter w{*this};
  w.u64(time_delta(e.time.ns, last_time_ns_));
  last_time_ns_ = e.time.ns;
  w.u8(static_cast<std::uint8_t>(e.kind));
  w.u8(present);
  if (e.node) w.principal(*e.node);
  bool new_type = false;
  w.u64(type_id(e.type, new_type));
  if (new_type) w.text(e.type);
  if (e.from) w.principal(*e.from);
  if (e.to) w.principal(*e.to);
  if (e.view) w.u64(*e.view);
  if (e.seq) w.u64(*e.seq);
  if (e.size) w.u64(*e.size);
  if (!e.fault.empty()) w.text(e.fault);
  if (!e.detail.empty()) w.text(e.detail);
  w.commit();
}

void Trace::append_binary(const void* data, std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (n > 0) {
    const std::size_t room = kBlockBytes - used_;
    const std::size_t take = n < room ? n : room;
    std::memcpy(block_.data() + used_, p, take);
    used_ += take;
    p += take;
    n -= take;
    if (used_ == kBlockBytes) spill_full_block();
  }
}

void Trace::record(const TraceEvent& e) {
  ++events_;
  encode_binary(e);
  if (sink_) {
    line_.clear();
    append_json(line_, e);
    line_.push_back('\n');
    sink_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
  }
}

TraceEvent Trace::message_event(Time t, TraceKind kind, Principal node, Principal peer,
                                const MessageFacts& m) const {
  TraceEvent e{t, kind, node, type_name(m.type)};
  if (kind == TraceKind::deliver)
    e.from = peer;
  else
    e.to = peer;
  if (m.has_view) e.view = m.view;
  if (m.has_seq) e.seq = m.seq;
  e.size = m.size;
  return e;
}

// encode_binary() of message_event(...), without building it: the type's id is known
// (the first event of a type, and any event while a sink is attached, go through record()).
void Trace::record_message(Time t, TraceKind kind, Principal node, Principal peer,
                           const MessageFacts& m) {
  const std::uint32_t id = handle_ids_[m.type];
  if (id == kNoId || sink_) [[unlikely]]
    return record_message_slowly(t, kind, node, peer, m);
  ++events_;
  std::uint8_t* p = block_.data() + used_;
  p = put_u64(p, time_delta(t.ns, last_time_ns_));
  last_time_ns_ = t.ns;
  *p++ = static_cast<std::uint8_t>(kind);
  *p++ = static_cast<std::uint8_t>(kNode | (kind == TraceKind::deliver ? kFrom : kTo) |
                                   (m.has_view ? kView : 0) | (m.has_seq ? kSeq : 0) | kSize);
  p = put_principal(p, node);
  p = put_u64(p, id);
  p = put_principal(p, peer);
  if (m.has_view) p = put_u64(p, m.view);
  if (m.has_seq) p = put_u64(p, m.seq);
  p = put_u64(p, m.size);
  used_ = static_cast<std::size_t>(p - block_.data());
  if (used_ >= kBlockBytes) spill_full_block();
}

// Out of line, so that the fast path needs no stack frame for a TraceEvent.
void Trace::record_message_slowly(Time t, TraceKind kind, Principal node, Principal peer,
                                  const MessageFacts& m) {
  record(message_event(t, kind, node, peer, m));
  if (handle_ids_[m.type] == kNoId) handle_ids_[m.type] = known_type_id(type_name(m.type));
}

// Hashes the full block and moves what ran past its end to the start of the next.
void Trace::spill_full_block() {
  XXH3_128bits_update(stream_.get(), block_.data(), kBlockBytes);
  used_ -= kBlockBytes;
  std::memcpy(block_.data(), block_.data() + kBlockBytes, used_);
}

Digest Trace::digest() const {
  XXH3_state_t stream;
  XXH3_copyState(&stream, stream_.get());
  XXH3_128bits_update(&stream, block_.data(), used_);
  XXH128_canonical_t all;
  XXH128_canonicalFromHash(&all, XXH3_128bits_digest(&stream));
  Hasher h;
  h.update(std::span<const std::uint8_t>(all.digest, sizeof all.digest));
  h.update_u64(events_);
  return h.finish();
}

}  // namespace knhk::sim
