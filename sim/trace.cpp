#include "sim/trace.hpp"

#include <cstring>
#include <ostream>

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

Trace::Trace() : block_(kBlockBytes) {
  line_.reserve(256);
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

// Encodes an event's fields as LEB128 varints into a small stack buffer (no event needs
// more than kMaxFixedBytes besides its texts), handing it to the trace's pending bytes
// before each text and at the end.
struct Trace::BinaryWriter {
  static constexpr std::size_t kMaxFixedBytes = 128;
  Trace& t;
  std::uint8_t* p;
  std::uint8_t* const start;

  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      *p++ = static_cast<std::uint8_t>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<std::uint8_t>(v);
  }
  void u8(std::uint8_t v) { *p++ = v; }
  void principal(Principal p) {
    varint((static_cast<std::uint64_t>(p.id) << 1) | static_cast<std::uint64_t>(p.kind));
  }
  void flush() {
    t.append_binary(start, static_cast<std::size_t>(p - start));
    p = start;
  }
  void text(std::string_view s) {
    varint(s.size());
    flush();
    t.append_binary(s.data(), s.size());
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

// The same fields as the JSON line, in the same order: time as the (zigzag) difference
// to the previous event, kind, a presence bitmap, then each present field as a varint
// (type names as ids, texts length-prefixed). One encoding per event.
void Trace::encode_binary(const TraceEvent& e) {
  std::uint8_t present = 0;
  if (e.node) present |= 1;
  if (e.from) present |= 2;
  if (e.to) present |= 4;
  if (e.view) present |= 8;
  if (e.seq) present |= 16;
  if (e.size) present |= 32;
  if (!e.fault.empty()) present |= 64;
  if (!e.detail.empty()) present |= 128;
  std::uint8_t buf[BinaryWriter::kMaxFixedBytes];  // not zeroed: only written bytes are read
  BinaryWriter w{*this, buf, buf};
  const std::int64_t delta = e.time.ns - last_time_ns_;
  last_time_ns_ = e.time.ns;
  w.varint((static_cast<std::uint64_t>(delta) << 1) ^ static_cast<std::uint64_t>(delta >> 63));
  w.u8(static_cast<std::uint8_t>(e.kind));
  w.u8(present);
  if (e.node) w.principal(*e.node);
  bool new_type = false;
  w.varint(type_id(e.type, new_type));
  if (new_type) w.text(e.type);
  if (e.from) w.principal(*e.from);
  if (e.to) w.principal(*e.to);
  if (e.view) w.varint(*e.view);
  if (e.seq) w.varint(*e.seq);
  if (e.size) w.varint(*e.size);
  if (!e.fault.empty()) w.text(e.fault);
  if (!e.detail.empty()) w.text(e.detail);
  w.flush();
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
    if (used_ == kBlockBytes) hash_full_block();
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

void Trace::hash_full_block() {
  Hasher h;
  h.update(chain_.bytes);
  h.update(std::span<const std::uint8_t>(block_.data(), kBlockBytes));
  chain_ = h.finish();
  used_ = 0;
}

Digest Trace::digest() const {
  Hasher h;
  h.update(chain_.bytes);
  h.update(std::span<const std::uint8_t>(block_.data(), used_));
  h.update_u64(events_);
  return h.finish();
}

}  // namespace knhk::sim
