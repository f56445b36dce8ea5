#include "net/udp_client.hpp"

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cmath>
#include <deque>

#include "net/datagram_io.hpp"
#include "net/udp_host.hpp"
#include "net/wire.hpp"
#include "protocols/common/client.hpp"
#include "protocols/smr/bank.hpp"
#include "protocols/smr/kv.hpp"

namespace knhk::net {
namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

constexpr auto kTick = std::chrono::milliseconds(5);
// Retransmission deadlines (request_timeout, 1 s by default) and reassembly timeouts are
// checked this often, not every tick: scanning every identity's core and wire each 5 ms
// was ~7 % of the load client's CPU.
constexpr Duration kTimeoutScan = Duration::millis_(50);

// One client identity: its protocol core and its authenticated view of the wire.
struct Identity {
  ClientCore core;
  Wire wire;
  RequestId awaiting{0};  // the request outstanding while core.outstanding() > 0
};

// A reply (in one frame) for a request this identity no longer awaits: the third and
// fourth replies after f + 1 matched, or late ones. Decoding untrusted bytes is bounded
// and has no effect; what is dropped here would only be dropped after its tag and MAC
// checks, which cost more (half of all replies are such).
bool is_stale_reply(const Identity& id, const ParsedFrame& f) {
  if (f.header.fragment_count != 1) return false;
  Decoded<Message> m = decode_message(f.fragment);
  const Reply* reply = m ? std::get_if<Reply>(&m.value->body) : nullptr;
  return reply && (id.core.outstanding() == 0 || reply->id != id.awaiting);
}

RequestId first_request_id() {
  // Replicas remember each identity's last executed request; starting from the wall
  // clock (µs) keeps a later run of the same identity above every earlier one.
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return RequestId(static_cast<std::uint64_t>(us.count()) * 16);
}

class LoadRunner {
 public:
  explicit LoadRunner(const ClientOptions& o);
  ClientReport run();

 private:
  void receive();
  void on_datagram(std::span<const std::uint8_t> bytes);
  void on_frame(std::span<const std::uint8_t> frame);
  void tick();
  void submit_if_allowed(Identity& id, Time now);
  void send(Identity& id, const ClientOutput& out);
  void send_queued();
  void completed(const ClientOutput& out);
  bool finished(Time now) const;
  void print_progress(Time now);

  const ClientOptions& o_;
  asio::io_context io_;
  udp::socket socket_;
  asio::steady_timer timer_;
  std::vector<udp::endpoint> replicas_;
  std::vector<std::unique_ptr<Identity>> identities_;
  // identities_[id - first_client]: the receiver of a reply found by index.
  Identity* identity(std::uint32_t client_id) const {
    const std::uint32_t k = client_id - o_.first_client;  // wraps for ids below the range
    return client_id >= o_.first_client && k < identities_.size() ? identities_[k].get() : nullptr;
  }
  BatchReceiver receiver_;
  BatchSender outbox_;  // sent together at the end of each wake-up (sendmmsg)
  ClientReport report_;
  Time started_, last_completion_, last_progress_, last_timeout_scan_;
  std::uint64_t completed_at_last_progress_ = 0;
  std::uint64_t stale_replies_ = 0;  // dropped unopened (is_stale_reply)
};

WireConfig client_wire(const ClientOptions& o) {
  WireConfig c;
  c.max_datagram_bytes = o.max_datagram_bytes.value_or(o.cluster.max_datagram_bytes);
  return c;
}

LoadRunner::LoadRunner(const ClientOptions& o)
    : o_(o), socket_(io_), timer_(io_), outbox_(client_wire(o).max_datagram_bytes) {
  for (const auto& n : o.cluster.nodes) replicas_.push_back(resolve_udp(io_, n.host, n.port));
  auto verifier = o.cluster.verifier();
  RequestId first = first_request_id();
  for (std::uint32_t k = 0; k < o.concurrency; ++k) {
    ClientId cid(o.first_client + k);
    if (!o.cluster.clients.count(cid))
      throw ConfigError(
          fmt::format("client {} is not in the cluster file (keygen --clients)", cid.value));
    KeyFile key = load_key_file(client_key_path(o.cluster.key_dir, cid));
    Principal self = Principal::client(cid);
    ClientCoreConfig config{cid, static_cast<std::uint32_t>(o.cluster.nodes.size()),
                            o.request_timeout, first};
    std::shared_ptr<const Signer> signer = o.cluster.signer(self, key.keys);
    identities_.push_back(std::make_unique<Identity>(
        Identity{ClientCore(config, signer, verifier),
                 Wire(LinkKeys(self, key.keys, o.cluster.directory()), client_wire(o))}));
    identities_.back()->wire.derive_keys(Principal::Kind::replica);
  }
  socket_.open(udp::v4());
  boost::system::error_code ignored;
  socket_.set_option(asio::socket_base::receive_buffer_size(8 << 20), ignored);
  socket_.bind(udp::endpoint(udp::v4(), 0));
  socket_.non_blocking(true);
}

ClientReport LoadRunner::run() {
  started_ = last_completion_ = last_progress_ = last_timeout_scan_ = steady_now();
  for (auto& id : identities_) submit_if_allowed(*id, started_);
  send_queued();
  receive();
  tick();
  io_.run();
  report_.seconds = (steady_now() - started_).seconds();
  std::sort(report_.latency_ms.begin(), report_.latency_ms.end());
  report_.largest_datagram_sent = outbox_.largest_sent();
  // Stale replies are what ClientCore would have rejected as unknown_request.
  if (stale_replies_ > 0) report_.rejected_replies["unknown_request"] += stale_replies_;
  for (const auto& id : identities_) {
    for (const auto& [reason, n] : id->core.rejected()) report_.rejected_replies[reason] += n;
    for (std::size_t i = 0; i < kDropReasonCount; ++i)
      report_.drops.count[i] += id->wire.drops().count[i];
  }
  return report_;
}

void LoadRunner::receive() {
  socket_.async_wait(udp::socket::wait_read, [this](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    receiver_.drain(
        socket_.native_handle(), 256,
        [this](std::span<const std::uint8_t> bytes, const udp::endpoint&) { on_datagram(bytes); });
    send_queued();
    receive();
  });
}

void LoadRunner::send_queued() {
  if (!outbox_.empty())
    report_.drops.add(DropReason::send_failed, outbox_.flush(socket_.native_handle()));
}

void LoadRunner::on_datagram(std::span<const std::uint8_t> bytes) {
  for_each_frame(bytes, [this](std::span<const std::uint8_t> frame) { on_frame(frame); });
}

void LoadRunner::on_frame(std::span<const std::uint8_t> bytes) {
  FrameResult f = parse_frame(bytes, kMaxDatagramBytes);
  if (!f.frame) return report_.drops.add(f.reason);
  Identity* found = identity(f.frame->header.receiver.id);
  if (f.frame->header.receiver.kind != Principal::Kind::client || !found)
    return report_.drops.add(DropReason::wrong_receiver);
  Identity& id = *found;
  if (is_stale_reply(id, *f.frame)) {
    ++stale_replies_;
    return;
  }
  Time now = steady_now();
  auto r = id.wire.open(bytes, now);
  if (!r) return;
  ClientOutput out;
  id.core.on_reply(now, std::get<Reply>(r->message.body), out);
  completed(out);
  submit_if_allowed(id, now);
}

void LoadRunner::completed(const ClientOutput& out) {
  for (const auto& c : out.completions) {
    ++report_.completed;
    report_.retransmissions += c.retransmissions;
    report_.latency_ms.push_back((c.completed - c.submitted).millis());
    last_completion_ = c.completed;
  }
  if (finished(steady_now())) io_.stop();
}

void LoadRunner::submit_if_allowed(Identity& id, Time now) {
  if (id.core.outstanding() > 0) return;
  if (o_.requests && report_.submitted >= *o_.requests) return;
  if (o_.duration && now - started_ >= *o_.duration) return;
  if (o_.rate > 0 &&
      static_cast<double>(report_.submitted) >= o_.rate * (now - started_).seconds() + 1)
    return;
  ClientOutput out;
  id.awaiting = id.core.submit(now, o_.make_operation(report_.submitted), out);
  ++report_.submitted;
  send(id, out);
}

void LoadRunner::send(Identity& id, const ClientOutput& out) {
  for (const auto& m : out.to_all_replicas) {
    Bytes encoded = encode(*m);
    std::uint64_t message_id = id.wire.next_message_id();
    for (std::uint32_t r = 0; r < replicas_.size(); ++r) {
      std::vector<Bytes> datagrams;
      if (!id.wire.seal(Principal::replica(NodeId(r)), message_id, encoded, datagrams)) continue;
      for (auto& d : datagrams) outbox_.queue(std::move(d), replicas_[r]);
    }
  }
}

bool LoadRunner::finished(Time now) const {
  if (o_.requests && report_.completed >= *o_.requests) return true;
  if (o_.duration && now - started_ >= *o_.duration) return true;
  if (o_.time_limit && now - started_ >= *o_.time_limit) return true;
  return false;
}

void LoadRunner::tick() {
  Time now = steady_now();
  if (finished(now)) return io_.stop();
  if (now - last_completion_ > o_.stall_timeout) {
    report_.stalled = true;
    return io_.stop();
  }
  const bool scan = now - last_timeout_scan_ >= kTimeoutScan;
  if (scan) last_timeout_scan_ = now;
  for (auto& id : identities_) {
    if (scan) {
      ClientOutput out;
      id->core.on_timer(now, out);  // retransmits overdue requests to every replica
      send(*id, out);
      completed(out);
      id->wire.expire(now);
    }
    submit_if_allowed(*id, now);  // --rate paces submissions at the tick
  }
  send_queued();
  if (now - last_progress_ >= Duration::secs(1)) print_progress(now);
  timer_.expires_after(kTick);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

void LoadRunner::print_progress(Time now) {
  double interval = (now - last_progress_).seconds();
  double rate = static_cast<double>(report_.completed - completed_at_last_progress_) / interval;
  if (o_.progress)
    *o_.progress << fmt::format(
                        "[{:6.1f}s] completed {:>8}  {:>8.0f} ops/s  outstanding {:>4}  "
                        "retransmissions {}\n",
                        (now - started_).seconds(), report_.completed, rate,
                        report_.submitted - report_.completed, report_.retransmissions)
                 << std::flush;
  last_progress_ = now;
  completed_at_last_progress_ = report_.completed;
}

}  // namespace

double ClientReport::percentile(double p) const {
  if (latency_ms.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(latency_ms.size())));
  return latency_ms[std::min(latency_ms.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string ClientReport::summary() const {
  std::string s = fmt::format(
      "completed {} of {} requests in {:.2f} s: {:.0f} ops/s\n"
      "latency ms: p50 {:.2f}  p99 {:.2f}  p999 {:.2f}  max {:.2f}\n"
      "retransmissions {}  datagrams dropped {}  longest datagram sent {} bytes",
      completed, submitted, seconds, throughput(), percentile(0.5), percentile(0.99),
      percentile(0.999), latency_ms.empty() ? 0.0 : latency_ms.back(), retransmissions,
      drops.total(), largest_datagram_sent);
  for (const auto& [reason, n] : rejected_replies)
    s += fmt::format("\nrejected replies ({}): {}", reason, n);
  if (stalled) s += "\nstalled: no request completed within the stall timeout";
  return s;
}

ClientReport run_client(const ClientOptions& options) {
  return LoadRunner(options).run();
}

std::function<Bytes(std::uint64_t)> default_operations(AppKind app, std::uint32_t keys) {
  keys = std::max<std::uint32_t>(keys, 1);
  switch (app) {
    case AppKind::kv:
      return [keys](std::uint64_t i) {
        Writer value;
        value.u64(i);
        return smr::kv::encode_put(smr::kv::Key::index(static_cast<std::uint32_t>(i % keys)),
                                   value.bytes());
      };
    case AppKind::bank:
      return [keys](std::uint64_t i) {
        auto from = static_cast<std::uint32_t>(i % keys);
        return smr::bank::encode_transfer(from, (from + 1) % keys, 1);
      };
    case AppKind::noop:
      break;
  }
  return [](std::uint64_t i) {
    Writer w;
    w.u64(i);
    return w.take();
  };
}

}  // namespace knhk::net
