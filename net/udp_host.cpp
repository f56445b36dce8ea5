#include "net/udp_host.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <chrono>

#include "protocols/message.hpp"

namespace knhk::net {
namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

constexpr std::size_t kMaxDrainPerWakeup = 256;
constexpr int kSocketBufferBytes = 8 << 20;
// Bounds the request-arrival table used for latency; oldest entries go first.
constexpr std::size_t kMaxTrackedRequests = 1u << 16;

LinkKeys link_keys_for(const UdpHostConfig& c) {
  return LinkKeys(Principal::replica(c.id), c.keys, c.cluster.directory());
}

}  // namespace

Time steady_now() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
  return Time{ns.count()};
}

udp::endpoint resolve_udp(asio::io_context& io, const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) return udp::endpoint(address, port);
  udp::resolver resolver(io);
  auto results = resolver.resolve(udp::v4(), host, std::to_string(port));
  return *results.begin();
}

UdpHost::UdpHost(asio::io_context& io, UdpHostConfig config, std::unique_ptr<Replica> replica)
    : io_(io),
      config_(std::move(config)),
      replica_(std::move(replica)),
      socket_(io),
      wire_(link_keys_for(config_), config_.wire),
      housekeeping_timer_(io),
      metrics_(config_.id, static_cast<std::uint32_t>(config_.cluster.nodes.size()), steady_now()),
      outbox_(config_.wire.max_datagram_bytes) {
  for (const auto& n : config_.cluster.nodes) peers_[n.id] = resolve_udp(io_, n.host, n.port);
}

UdpHost::~UdpHost() {
  stop();
  *alive_ = false;  // handlers already queued on the io_context must not touch us
}

void UdpHost::start() {
  const NodeEntry* me = config_.cluster.node(config_.id);
  if (!me) throw ConfigError("node id " + std::to_string(config_.id.value) + " not in cluster");
  udp::endpoint bind_to = peers_.at(config_.id);
  socket_.open(bind_to.protocol());
  boost::system::error_code ignored;
  socket_.set_option(asio::socket_base::receive_buffer_size(kSocketBufferBytes), ignored);
  socket_.set_option(asio::socket_base::send_buffer_size(kSocketBufferBytes), ignored);
  socket_.bind(bind_to);
  socket_.non_blocking(true);
  // A fragmented message arrives as a burst; the kernel caps the buffer at
  // net.core.rmem_max, and a message larger than the buffer cannot get through.
  asio::socket_base::receive_buffer_size granted;
  socket_.get_option(granted);
  if (static_cast<std::size_t>(granted.value()) < 2 * kMaxDatagramBytes)
    spdlog::warn("node {}: UDP receive buffer only {} bytes (raise net.core.rmem_max)",
                 config_.id.value, granted.value());
  wire_.derive_keys(Principal::Kind::replica);
  wire_.derive_keys(Principal::Kind::client);
  const DurableStore* recovered = &memory_store_;
  if (config_.data_dir) {
    store_ = std::make_unique<FileStore>(*config_.data_dir, config_.fsync);
    recovered = &store_->contents();
    spdlog::info("node {}: recovered {} records from {} ({} torn tail bytes discarded)",
                 config_.id.value, store_->recovered_records(), config_.data_dir->string(),
                 store_->discarded_tail_bytes());
  }
  DurableStore snapshot = *recovered;  // the replica sees the store as it was at start
  step(StartInput{&snapshot});
  flush();
  receive();
  housekeeping();
}

void UdpHost::stop() {
  if (stopped_) return;
  stopped_ = true;
  // What the replica asked to persist is kept; what it asked to send is not sent.
  for (const auto& e : pending_.list)
    if (const auto* p = std::get_if<PersistEffect>(&e); p && store_) store_->stage(*p);
  pending_.clear();
  boost::system::error_code ignored;
  socket_.close(ignored);
  housekeeping_timer_.cancel();
  for (auto& [id, slot] : timers_) slot.timer->cancel();
  timers_.clear();
  if (!store_) return;
  try {
    store_->sync();
  } catch (const std::exception& e) {  // stop() also runs from the destructor: never throw
    spdlog::error("node {}: final sync failed: {}", config_.id.value, e.what());
  }
}

void UdpHost::receive() {
  socket_.async_wait(udp::socket::wait_read, [this, alive = alive_](boost::system::error_code ec) {
    if (!*alive || stopped_ || ec == asio::error::operation_aborted) return;
    drain_and_flush();
    if (!stopped_) receive();
  });
}

// Reads what is already queued before going back to the reactor (one wake-up per burst,
// not per datagram; recvmmsg), then executes the effects of the whole burst together.
void UdpHost::drain_and_flush() {
  receiver_.drain(socket_.native_handle(), kMaxDrainPerWakeup,
                  [this](std::span<const std::uint8_t> bytes, const udp::endpoint& from) {
                    if (!stopped_) on_datagram(bytes, from);
                  });
  flush();
}

void UdpHost::inject_datagram(std::span<const std::uint8_t> bytes, const udp::endpoint& from) {
  on_datagram(bytes, from);
  flush();
}

void UdpHost::on_datagram(std::span<const std::uint8_t> bytes, const udp::endpoint& from) {
  ++datagrams_in_;
  largest_in_ = std::max(largest_in_, bytes.size());
  Time now = steady_now();
  wire_.open_all(bytes, now, [&](Received&& r) { on_received(std::move(r), from, now); });
}

void UdpHost::on_received(Received&& received, const udp::endpoint& from, Time now) {
  auto msg = std::make_shared<const Message>(std::move(received.message));
  if (received.from.kind == Principal::Kind::client) {
    ClientId client(received.from.id);
    clients_[client] = from;  // bounded: only clients listed in the cluster file get here
    // Shares the decoded message rather than copying the request out of it.
    std::shared_ptr<const Request> request(msg, &std::get<Request>(msg->body));
    metrics_.client_request();
    if (request_arrivals_.size() < kMaxTrackedRequests)
      request_arrivals_.try_emplace({request->client, request->id}, now);
    step(ClientRequestInput{std::move(request)});
    return;
  }
  NodeId from_node(received.from.id);
  spdlog::trace("node {}: from {} {}", config_.id.value, from_node.value, type_name(*msg));
  metrics_.message_received(from_node, type_name(*msg), now);
  step(MessageInput{from_node, std::move(msg)});
}

void UdpHost::step(const Input& input) {
  if (stopped_) return;
  replica_->step(steady_now(), input, pending_);
}

// Group commit: the effects of every step since the last flush (one wake-up of the loop:
// a burst of datagrams, a timer) are executed together, so one fdatasync covers them all.
void UdpHost::flush() {
  if (pending_.list.empty()) return;
  Effects effects;
  std::swap(effects, pending_);
  execute(effects);
}

void UdpHost::execute(Effects& effects) {
  // Write-ahead: every PersistEffect is on disk before any message of the same flush
  // leaves. Sending later than the replica asked is always safe; sending before the
  // state that justifies it is durable is not.
  bool persisted = false;
  for (const auto& e : effects.list) {
    if (const auto* p = std::get_if<PersistEffect>(&e)) {
      if (store_) {
        store_->stage(*p);
      } else if (p->erase) {
        memory_store_.erase(p->key);
      } else {
        memory_store_[p->key] = p->value;
      }
      persisted = true;
    }
  }
  if (persisted && store_) store_->sync();
  for (const auto& e : effects.list) execute_one(e);
  send_queued();
}

void UdpHost::execute_one(const Effect& e) {
  std::visit(
      [this](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, SendEffect>) {
          Bytes encoded = encode(*x.msg);
          send_message(Principal::replica(x.to), *x.msg, encoded, wire_.next_message_id());
        } else if constexpr (std::is_same_v<T, BroadcastEffect>) {
          Bytes encoded = encode(*x.msg);
          std::uint64_t id = wire_.next_message_id();
          for (const auto& [node, ep] : peers_)
            if (node != config_.id) send_message(Principal::replica(node), *x.msg, encoded, id);
        } else if constexpr (std::is_same_v<T, SetTimerEffect>) {
          set_timer(x.id, x.after);
        } else if constexpr (std::is_same_v<T, CancelTimerEffect>) {
          cancel_timer(x.id);
        } else if constexpr (std::is_same_v<T, CommitEffect>) {
          note_commit(x);
        } else if constexpr (std::is_same_v<T, ReplyEffect>) {
          const MessagePtr m = x.message ? x.message : make_message(Reply(*x.reply));
          Bytes encoded = encode(*m);
          send_message(Principal::client(x.client), *m, encoded, wire_.next_message_id());
        } else if constexpr (std::is_same_v<T, EvidenceEffect>) {
          metrics_.evidence(x.culprit);
          spdlog::warn("node {}: evidence against node {}: {}", config_.id.value, x.culprit.value,
                       x.detail);
        } else if constexpr (std::is_same_v<T, TraceEffect>) {
          metrics_.trace(x.kind);
          spdlog::debug("node {}: {} view={} seq={} {}", config_.id.value, x.kind, x.view.value,
                        x.seq, x.detail);
        }
      },
      e);
}

void UdpHost::send_message(Principal to, const Message& m, std::span<const std::uint8_t> encoded,
                           std::uint64_t message_id) {
  if (to == Principal::replica(config_.id)) {  // a message to ourselves never touches the wire
    auto copy = std::make_shared<const Message>(m);
    asio::post(io_, [this, alive = alive_, copy] {
      if (!*alive) return;
      step(MessageInput{config_.id, copy});
      flush();
    });
    return;
  }
  udp::endpoint ep;
  if (to.kind == Principal::Kind::replica) {
    auto it = peers_.find(NodeId(to.id));
    if (it == peers_.end()) return wire_.drops().add(DropReason::unknown_destination);
    ep = it->second;
  } else {
    auto it = clients_.find(ClientId(to.id));
    if (it == clients_.end()) return wire_.drops().add(DropReason::unknown_destination);
    ep = it->second;
  }
  std::vector<Bytes> datagrams;
  if (encoded.size() > kMaxNetMessageBytes) return wire_.drops().add(DropReason::oversized);
  if (!wire_.seal(to, message_id, encoded, datagrams))
    return wire_.drops().add(DropReason::unknown_destination);
  metrics_.message_sent(type_name(m), datagrams.size());
  spdlog::trace("node {}: to {} {}", config_.id.value, to.id, type_name(m));
  send_datagrams(std::move(datagrams), ep);
}

void UdpHost::send_datagrams(std::vector<Bytes>&& datagrams, const udp::endpoint& to) {
  for (auto& d : datagrams) outbox_.queue(std::move(d), to);
}

// Everything one flush produced leaves together, after its PersistEffects are durable.
void UdpHost::send_queued() {
  if (outbox_.empty() || stopped_) return;
  std::size_t queued = outbox_.size();
  // UDP may lose datagrams anyway; the protocols retransmit. Never block the loop.
  std::size_t failed = outbox_.flush(socket_.native_handle());
  wire_.drops().add(DropReason::send_failed, failed);
  datagrams_out_ += queued - failed;
}

void UdpHost::set_timer(TimerId id, Duration after) {
  TimerSlot& slot = timers_[id];
  if (!slot.timer) slot.timer = std::make_unique<asio::steady_timer>(io_);
  // Generations are unique across all timers, so a handler that was already queued when
  // its timer was re-armed or cancelled can never pass for the new arming.
  std::uint64_t generation = slot.generation = ++timer_generations_;
  slot.timer->expires_after(std::chrono::nanoseconds(std::max<std::int64_t>(after.ns, 0)));
  slot.timer->async_wait([this, alive = alive_, id, generation](boost::system::error_code ec) {
    if (ec || !*alive || stopped_) return;
    auto it = timers_.find(id);
    if (it == timers_.end() || it->second.generation != generation) return;
    timers_.erase(it);  // fired: the table holds armed timers only
    step(TimerInput{id});
    flush();
  });
}

void UdpHost::cancel_timer(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  timers_.erase(it);  // destroying the timer aborts its wait
}

void UdpHost::note_commit(const CommitEffect& c) {
  Time now = steady_now();
  std::uint64_t requests = c.batch ? c.batch->size() : 0;
  metrics_.committed(requests);
  if (c.batch) {
    for (const auto& r : *c.batch) {
      auto it = request_arrivals_.find({r.client, r.id});
      if (it == request_arrivals_.end()) continue;
      metrics_.commit_latency(now - it->second);
      request_arrivals_.erase(it);
    }
  }
  spdlog::debug("node {}: commit position={} view={} slot={} requests={} state={}",
                config_.id.value, c.position.value, c.view.value, c.slot, requests,
                c.state_hash.short_hex());
}

void UdpHost::housekeeping() {
  Time now = steady_now();
  wire_.expire(now);
  metrics_.tick(now);
  // Requests that never committed here (other replica's duplicates, lost) age out.
  for (auto it = request_arrivals_.begin(); it != request_arrivals_.end();)
    it = now - it->second > Duration::secs(60) ? request_arrivals_.erase(it) : std::next(it);
  housekeeping_timer_.expires_after(std::chrono::seconds(1));
  housekeeping_timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
    if (!ec && *alive && !stopped_) housekeeping();
  });
}

std::string UdpHost::render_metrics() const {
  std::string text = metrics_.render(replica_->status(), wire_.drops(), datagrams_in_,
                                     datagrams_out_, store_ ? store_->syncs() : 0);
  // The send limit in force and the longest datagrams seen, to check a cluster on a
  // 1,500-byte-MTU network sends nothing the network would IP-fragment.
  text += fmt::format(
      "# TYPE knhk_max_datagram_bytes gauge\nknhk_max_datagram_bytes {}\n"
      "# TYPE knhk_datagram_bytes_max gauge\n"
      "knhk_datagram_bytes_max{{direction=\"sent\"}} {}\n"
      "knhk_datagram_bytes_max{{direction=\"received\"}} {}\n",
      wire_.max_datagram_bytes(), outbox_.largest_sent(), largest_in_);
  return text;
}

}  // namespace knhk::net
