#include "sim/simulation.hpp"

#include "sim/verify_cache.hpp"

#include <algorithm>
#include <new>
#include <stdexcept>
#include <unordered_map>

#include "protocols/common/sorted_pairs.hpp"
#include "protocols/message.hpp"
#include "sim/message_info.hpp"
#include "sim/page_advice.hpp"
#include "sim/store_writer.hpp"
#include "sim/workload.hpp"

namespace knhk::sim {

// One replica timer. A replica re-arms its timers constantly (PBFT restarts its
// view-change timer at every execution), so a re-arm to a later deadline schedules no
// event: the wake-up already queued fires early, finds the deadline moved, and queues one
// for the deadline. The queue then holds about one event per timer instead of one per
// re-arm (tens of thousands of stale ones at 5,000 requests/s), and pops stay cheap.
struct Simulation::ArmedTimer {
  bool armed = false;
  Time deadline;             // when the replica wants it, if armed
  bool wake_queued = false;  // an event is queued for (wake, generation)
  Time wake;                 // never later than deadline while armed
  std::uint64_t generation = 0;
};

struct Simulation::Node {
  std::unique_ptr<Replica> replica;
  std::shared_ptr<const Signer> signer;
  DurableStore store;        // survives crashes
  StoreWriter store_writer;  // every write to `store` goes through it
  bool crashed = false;
  std::uint32_t incarnation = 0;  // bumped at every crash: stale timers/deliveries die
  // Timers by id. Never iterated.
  std::unordered_map<TimerId, ArmedTimer> timers;
  std::uint64_t next_generation = 1;
  ReplicaStatus last_status;  // kept while crashed
};

// The client's retransmission deadline is re-armed lazily like a replica timer (ArmedTimer).
struct Simulation::Client {
  std::unique_ptr<ClientCore> core;
  // Its requests not yet completed, by id (increasing), with their index in
  // record_.operations.
  std::vector<std::pair<RequestId, std::size_t>> open_operations;
  std::uint32_t timer_generation = 0;
  std::optional<Time> timer_at;  // the deadline the client wants
  std::optional<Time> wake_at;   // the queued wake-up (generation timer_generation)
};

struct Simulation::Delivery {
  Principal from;
  Principal to;
  MessagePtr msg;
  MessageFacts facts;                // for the trace and counters, computed once per send
  std::uint32_t incarnation = 0;     // of the destination replica at send time
  std::uint32_t next = kNoDelivery;  // the copy delivered right after it (see Fanout)
};

struct Simulation::TimerSlot {
  std::uint32_t node = 0;
  std::uint32_t incarnation = 0;
  TimerId id = 0;
  std::uint64_t generation = 0;
};

class Simulation::DeliveryTarget final : public EventTarget {
 public:
  explicit DeliveryTarget(Simulation& s) : s_(s) {}
  void on_event(std::uint64_t slot) override { s_.deliver(slot); }
  void prefetch_next(std::uint64_t slot) override { s_.prefetch_message(slot); }
  void prefetch_later(std::uint64_t slot) override { s_.prefetch_delivery(slot); }

 private:
  Simulation& s_;
};

class Simulation::TimerTarget final : public EventTarget {
 public:
  explicit TimerTarget(Simulation& s) : s_(s) {}
  void on_event(std::uint64_t slot) override { s_.fire_timer(slot); }

 private:
  Simulation& s_;
};

class Simulation::ClientTarget final : public EventTarget {
 public:
  explicit ClientTarget(Simulation& s) : s_(s) {}
  void on_event(std::uint64_t arg) override { s_.client_event(arg); }

 private:
  Simulation& s_;
};

namespace {
// Client event arguments: the low 32 bits name the client, the high 32 bits carry the
// timer generation; kArrival marks an open-loop arrival instead.
constexpr std::uint64_t kArrival = 0xffffffffULL;

// Reserves `entries` (rounded down) on small pages: see Simulation::reserve_record.
template <typename T>
void reserve_on_small_pages(std::vector<T>& v, double entries) {
  v.reserve(static_cast<std::size_t>(entries));
  prefer_small_pages(v.data(), v.capacity() * sizeof(T));
}

}  // namespace

ReplicaFactory default_replica_factory() {
  return [](const ReplicaSetup& setup) { return make_replica(setup); };
}

Simulation::Simulation(SimulationConfig config, ReplicaFactory factory)
    : config_(std::move(config)),
      factory_(std::move(factory)),
      rngs_(config_.seed),
      client_rng_(&rngs_.stream("clients")),
      keys_(std::make_unique<ClusterKeys>(config_.params.crypto, config_.seed, config_.params.nodes,
                                          config_.clients.count)),
      network_(std::make_unique<Network>(config_.network, config_.params.nodes,
                                         config_.clients.count, rngs_.stream("network"))),
      delivery_target_(std::make_unique<DeliveryTarget>(*this)),
      timer_target_(std::make_unique<TimerTarget>(*this)),
      client_target_(std::make_unique<ClientTarget>(*this)) {
  record_.replicas = config_.params.nodes;
  record_.clients = config_.clients.count;
  verifier_ = keys_->verifier();
  if (config_.params.crypto == CryptoScheme::ed25519)
    verifier_ = std::make_shared<VerifyCache>(verifier_);
  for (std::uint32_t i = 0; i < config_.params.nodes; ++i) {
    auto node = std::make_unique<Node>();
    node->signer = keys_->signer(Principal::replica(NodeId(i)));
    nodes_.push_back(std::move(node));
  }
  for (std::uint32_t c = 0; c < config_.clients.count; ++c) {
    auto client = std::make_unique<Client>();
    ClientCoreConfig cc{ClientId(c), config_.params.nodes, config_.clients.request_timeout};
    client->core = std::make_unique<ClientCore>(
        cc, std::shared_ptr<const Signer>(keys_->signer(Principal::client(ClientId(c)))),
        verifier_);
    clients_.push_back(std::move(client));
  }
  reserve_record();
}

Simulation::~Simulation() = default;

// An open-loop run with a stop time says how many operations it will submit (rate × time)
// and so about how many batches each replica commits: the record's two long vectors are
// reserved for that many instead of doubling their way there. Doubling touched twice the
// final memory and copied it, and fresh memory is dear (page faults; in a VM, the host
// backing each new page): ≈ 3% of a 60-second PBFT benchmark. The reservation is kept on
// small pages (prefer_small_pages), so the part a run never reaches costs nothing but
// address space; batches are counted as 2/3 full, as a primary under steady load cuts
// some at its batch timeout (the 5,000 ops/s benchmark's average is 8.5 of 10). A run
// that submits more grows as before. Both are capped (a typo in the rate must not ask for
// gigabytes), and a machine that cannot give the reservation just runs without it.
void Simulation::reserve_record() {
  const ClientConfig& c = config_.clients;
  if (c.mode != ClientConfig::Mode::open || !c.generate_load || !c.stop_at) return;
  constexpr double kMaxEntries = 2e6;  // each: ≈ 100 (operation) or 150 (commit) bytes
  const double operations = c.rate_per_second * c.stop_at->seconds() * 1.05;
  if (!(operations >= 1)) return;  // also NaN
  const double batch = std::max<double>(1, config_.params.batch_size * 2.0 / 3.0);
  const double batches = operations / batch + 16;
  try {
    reserve_on_small_pages(record_.operations, std::min(operations, kMaxEntries));
    reserve_on_small_pages(record_.commits, std::min(batches * config_.params.nodes, kMaxEntries));
  } catch (const std::bad_alloc&) {
    // Grow as needed instead.
  }
}

// ---------------------------------------------------------------- running

void Simulation::start() {
  if (started_) return;
  started_ = true;
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) boot_node(NodeId(i));
  const ClientConfig& cc = config_.clients;
  if (!cc.generate_load || cc.count == 0) return;
  if (cc.mode == ClientConfig::Mode::closed) {
    for (std::uint32_t c = 0; c < cc.count; ++c)
      for (std::uint32_t k = 0; k < cc.outstanding; ++k) generate_request(c);
  } else {
    schedule_next_arrival();
  }
}

void Simulation::run_until(Time until) {
  start();
  scheduler_.run_until(until);
  record_.end = scheduler_.now();
}

bool Simulation::step() {
  start();
  return scheduler_.step();
}

EventId Simulation::schedule(Time at, std::function<void()> fn) {
  return scheduler_.at(at, std::move(fn));
}

// ---------------------------------------------------------------- nodes

void Simulation::boot_node(NodeId id) {
  Node& node = *nodes_[id.value];
  ReplicaSetup setup{config_.params, id, node.signer, verifier_};
  node.replica = factory_(setup);
  if (!node.replica) throw std::logic_error("replica factory returned null");
  node.crashed = false;
  step_node(id, StartInput{&node.store});
}

void Simulation::crash(NodeId id) {
  if (id.value >= nodes_.size()) return;
  Node& node = *nodes_[id.value];
  if (node.crashed) return;
  if (node.replica) node.last_status = node.replica->status();
  node.replica.reset();
  node.crashed = true;
  ++node.incarnation;
  node.timers.clear();
  ++record_.crashes;
  record_.faulty[id].push_back({now(), "crashed"});
  trace_.record({now(), TraceKind::crash, Principal::replica(id)});
}

void Simulation::restart(NodeId id) {
  if (id.value >= nodes_.size() || !nodes_[id.value]->crashed) return;
  ++record_.restarts;
  trace_.record({now(), TraceKind::restart, Principal::replica(id)});
  boot_node(id);
}

bool Simulation::is_crashed(NodeId id) const {
  return id.value < nodes_.size() && nodes_[id.value]->crashed;
}

std::optional<ReplicaStatus> Simulation::status(NodeId id) const {
  if (id.value >= nodes_.size() || !nodes_[id.value]->replica) return std::nullopt;
  return nodes_[id.value]->replica->status();
}

Replica* Simulation::replica(NodeId id) {
  return id.value < nodes_.size() ? nodes_[id.value]->replica.get() : nullptr;
}

const DurableStore& Simulation::durable_store(NodeId id) const {
  return nodes_.at(id.value)->store;
}

void Simulation::mark_faulty(NodeId id, std::string reason) {
  record_.faulty[id].push_back({now(), std::move(reason)});
}

void Simulation::trace_fault(std::string_view label, std::optional<NodeId> node,
                             std::string_view detail) {
  TraceEvent e{now(), TraceKind::fault};
  if (node) e.node = Principal::replica(*node);
  e.fault = label;
  e.detail = detail;
  trace_.record(e);
}

// Feeds one input to a live replica at its own (skewed) clock and executes the effects.
void Simulation::step_node(NodeId id, const Input& input) {
  Node& node = *nodes_[id.value];
  if (!node.replica) return;
  Effects effects;
  effects.list.swap(scratch_.list);  // reuse capacity (always left empty); safe if re-entered
  const Time local_now = now() + network_->clock_skew(id);
  node.replica->step(local_now, input, effects);
  for (Effect& e : effects.list) {
    if (node.crashed) break;  // a wrapper may crash its node mid-step
    execute_one(id, e);
  }
  effects.clear();
  effects.list.swap(scratch_.list);
}

void Simulation::execute(NodeId id, Effects& effects) {
  for (Effect& e : effects.list) execute_one(id, e);
}

void Simulation::execute_one(NodeId id, Effect& effect) {
  const Principal self = Principal::replica(id);
  std::visit(
      [&](auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, SendEffect>) {
          if (e.msg) send_from(self, Principal::replica(e.to), outgoing(std::move(e.msg)));
        } else if constexpr (std::is_same_v<E, BroadcastEffect>) {
          if (!e.msg) return;
          const Outgoing out = outgoing(std::move(e.msg));
          const Fanout fanout(*this);
          for (std::uint32_t to = 0; to < nodes_.size(); ++to)
            if (to != id.value) send_from(self, Principal::replica(NodeId(to)), out);
        } else if constexpr (std::is_same_v<E, SetTimerEffect>) {
          set_timer(id, e.id, e.after);
        } else if constexpr (std::is_same_v<E, CancelTimerEffect>) {
          cancel_timer(id, e.id);
        } else if constexpr (std::is_same_v<E, CommitEffect>) {
          record_.commits.push_back(CommitRecord{now(), id, e.position, e.view, e.slot,
                                                 e.batch_digest, recorded_batches_.compact(e.batch),
                                                 e.state_hash, e.skipped});
          const std::string digest = e.batch_digest.short_hex();
          TraceEvent t{now(), TraceKind::commit, self};
          t.view = e.view.value;
          t.seq = e.position.value;
          t.size = e.batch ? e.batch->size() : 0;
          t.detail = digest;
          trace_.record(t);
        } else if constexpr (std::is_same_v<E, ReplyEffect>) {
          if (!e.reply || e.client.value >= clients_.size()) return;
          send_from(self, Principal::client(e.client),
                    outgoing(e.message ? e.message : make_message(Reply(*e.reply))));
        } else if constexpr (std::is_same_v<E, PersistEffect>) {
          Node& node = *nodes_[id.value];
          node.store_writer.apply(node.store, e);
        } else if constexpr (std::is_same_v<E, EvidenceEffect>) {
          record_.evidence.push_back({now(), id, e.culprit, e.kind, e.detail});
          TraceEvent t{now(), TraceKind::evidence, self};
          t.to = Principal::replica(e.culprit);
          t.detail = e.detail;
          trace_.record(t);
        } else if constexpr (std::is_same_v<E, TraceEffect>) {
          TraceEvent t{now(), TraceKind::protocol, self, e.kind};
          t.view = e.view.value;
          t.seq = e.seq;
          t.detail = e.detail;
          trace_.record(t);
        }
      },
      effect);
}

// ---------------------------------------------------------------- network

Simulation::Outgoing Simulation::outgoing(MessagePtr msg) {
  Outgoing out;
  const MessageInfo info = message_info(*msg);
  MessageFacts& m = out.facts;
  m.type = type_handle(*msg, info.kind);
  m.size = static_cast<std::uint32_t>(encoded_size(*msg));
  m.has_view = info.view.has_value();
  m.view = info.view.value_or(0);
  m.has_seq = info.seq.has_value();
  m.seq = info.seq.value_or(0);
  out.msg = std::move(msg);
  return out;
}

// The trace handle of a message's type name, looked up once per message kind (a kind
// always has the same name). Handles are given in order of first send: deterministic.
TypeHandle Simulation::type_handle(const Message& msg, std::uint32_t kind) {
  if (kind >= handle_of_kind_.size()) handle_of_kind_.resize(kind + 1, kNoHandle);
  std::uint32_t& h = handle_of_kind_[kind];
  if (h == kNoHandle) {
    const std::string_view name = type_name(msg);
    h = trace_.intern(name);
    if (h >= counters_of_handle_.size()) counters_of_handle_.resize(h + 1, nullptr);
    counters_of_handle_[h] = &network_->counters(name);
  }
  return static_cast<TypeHandle>(h);
}

void Simulation::send_from(Principal from, Principal to, const Outgoing& out) {
  const bool to_replica = to.kind == Principal::Kind::replica;
  if ((to_replica && to.id >= nodes_.size()) || (!to_replica && to.id >= clients_.size())) return;
  const MessageFacts& m = out.facts;
  trace_.record_message(now(), TraceKind::send, from, to, m);
  Fate fate;
  if (from == to) {  // a node talking to itself: no link, no loss, no delay
    fate.copies = 1;
  } else {
    fate = network_->route(now(), from, to, m.size, *counters_of_handle_[m.type]);
    if (fate.copies != 1) trace_fate(from, to, m, fate);
  }
  const std::uint32_t incarnation = to_replica ? nodes_[to.id]->incarnation : 0;
  for (int i = 0; i < fate.copies; ++i) {
    std::uint32_t slot;
    if (!free_deliveries_.empty()) {
      slot = free_deliveries_.back();
      free_deliveries_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(deliveries_.size());
      deliveries_.emplace_back();
    }
    deliveries_[slot] = Delivery{from, to, out.msg, m, incarnation};
    schedule_delivery(now() + fate.delay[i], slot, fate.copies == 1);
  }
}

// Within a fan-out, a copy due at the same instant as the one scheduled just before it
// rides that copy's event instead of taking its own: the two would have had consecutive
// sequence numbers, so no other event can run between them, and deliver() delivers the
// chain in the order it was built — the run is event-for-event the same, with one queue
// push and pop per instant of a broadcast instead of one per destination.
void Simulation::schedule_delivery(Time at, std::uint32_t slot, bool chainable) {
  if (fanout_open_ && chainable && fanout_tail_ != kNoDelivery && fanout_at_ == at) {
    deliveries_[fanout_tail_].next = slot;
  } else {
    scheduler_.at(at, delivery_target_.get(), slot);
    fanout_at_ = at;
  }
  fanout_tail_ = fanout_open_ && chainable ? slot : kNoDelivery;
}

// The drop or duplicate event of a message the network did not deliver exactly once.
void Simulation::trace_fate(Principal from, Principal to, const MessageFacts& m, const Fate& fate) {
  const std::string_view label = fate.fault ? std::string_view(fate.fault->label) : "";
  TraceEvent e{now(), fate.copies == 0 ? TraceKind::drop : TraceKind::duplicate, from,
               trace_.type_name(m.type)};
  e.to = to;
  if (m.has_view) e.view = m.view;
  if (m.has_seq) e.seq = m.seq;
  if (fate.copies == 0) {
    e.fault = label;
    e.detail = to_string(fate.reason);
  } else if (fate.duplicated_by_fault) {
    e.fault = label;
  }
  trace_.record(e);
}

void Simulation::prefetch_delivery(std::uint64_t slot) const {
  static_assert(sizeof(Delivery) <= 64, "a delivery spans at most two cache lines");
  if (slot >= deliveries_.size()) return;
  const char* at = reinterpret_cast<const char*>(&deliveries_[slot]);
  __builtin_prefetch(at);
  __builtin_prefetch(at + sizeof(Delivery) - 1);
}

// The slot itself was requested one event earlier (prefetch_delivery); the message it
// points to is what deliver() reads next.
void Simulation::prefetch_message(std::uint64_t slot) const {
  if (slot >= deliveries_.size()) return;
  if (const Message* m = deliveries_[slot].msg.get()) {
    // make_shared puts the reference counts just before the message; the variant's index
    // sits at its end.
    const char* at = reinterpret_cast<const char*>(m);
    __builtin_prefetch(at - 16);
    __builtin_prefetch(at);
    __builtin_prefetch(at + sizeof(Message) - 1);
  }
}

void Simulation::deliver(std::uint64_t slot) {
  for (auto s = static_cast<std::uint32_t>(slot); s != kNoDelivery;) s = deliver_one(s);
}

// Delivers one copy; returns the copy chained after it (kNoDelivery when none).
std::uint32_t Simulation::deliver_one(std::uint32_t slot) {
  Delivery d = std::move(deliveries_[slot]);
  free_deliveries_.push_back(slot);
  if (d.next != kNoDelivery) prefetch_message(d.next);
  TypeCounters& counters = *counters_of_handle_[d.facts.type];
  if (d.to.kind == Principal::Kind::replica) {
    const Node& node = *nodes_[d.to.id];
    if (node.crashed || node.incarnation != d.incarnation) {
      Network::count_lost_at_destination(counters);
      TraceEvent t{now(), TraceKind::drop, d.to, trace_.type_name(d.facts.type)};
      t.from = d.from;
      if (d.facts.has_view) t.view = d.facts.view;
      if (d.facts.has_seq) t.seq = d.facts.seq;
      t.detail = "destination_crashed";
      trace_.record(t);
      return d.next;
    }
  }
  Network::count_delivered(counters, d.facts.size);
  trace_.record_message(now(), TraceKind::deliver, d.to, d.from, d.facts);
  if (d.to.kind == Principal::Kind::client) {
    if (auto* reply = std::get_if<Reply>(&d.msg->body)) on_reply(d.to.id, *reply);
    return d.next;
  }
  const NodeId to(d.to.id);
  if (d.from.kind == Principal::Kind::client) {
    if (auto* request = std::get_if<Request>(&d.msg->body)) {
      // Aliasing pointer: the request lives inside the shared message.
      step_node(to, ClientRequestInput{std::shared_ptr<const Request>(d.msg, request)});
    }
    return d.next;
  }
  const std::uint32_t next = d.next;
  step_node(to, MessageInput{NodeId(d.from.id), std::move(d.msg)});
  return next;
}

// ---------------------------------------------------------------- timers

void Simulation::set_timer(NodeId id, TimerId timer, Duration after) {
  Node& node = *nodes_[id.value];
  ArmedTimer& t = node.timers[timer];
  t.armed = true;
  t.deadline = now() + after;
  if (t.wake_queued && t.wake <= t.deadline) return;  // that wake-up re-queues for the deadline
  queue_timer_wake(id, timer, t);
}

void Simulation::queue_timer_wake(NodeId id, TimerId timer, ArmedTimer& t) {
  Node& node = *nodes_[id.value];
  const std::uint64_t generation = node.next_generation++;
  t.wake_queued = true;
  t.wake = t.deadline;
  t.generation = generation;
  std::uint32_t slot;
  if (!free_timer_slots_.empty()) {
    slot = free_timer_slots_.back();
    free_timer_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(timer_slots_.size());
    timer_slots_.emplace_back();
  }
  timer_slots_[slot] = TimerSlot{id.value, node.incarnation, timer, generation};
  scheduler_.at(t.deadline, timer_target_.get(), slot);
}

// A queued wake-up stays (it finds the timer disarmed); the entry goes when nothing waits.
void Simulation::cancel_timer(NodeId id, TimerId timer) {
  auto& timers = nodes_[id.value]->timers;
  auto it = timers.find(timer);
  if (it == timers.end()) return;
  if (it->second.wake_queued)
    it->second.armed = false;
  else
    timers.erase(it);
}

void Simulation::fire_timer(std::uint64_t slot) {
  const TimerSlot t = timer_slots_[slot];
  free_timer_slots_.push_back(static_cast<std::uint32_t>(slot));
  Node& node = *nodes_[t.node];
  if (node.crashed || node.incarnation != t.incarnation) return;
  auto it = node.timers.find(t.id);
  if (it == node.timers.end() || it->second.generation != t.generation) return;  // superseded
  ArmedTimer& armed = it->second;
  armed.wake_queued = false;
  if (!armed.armed) return void(node.timers.erase(it));                              // cancelled
  if (armed.deadline > now()) return queue_timer_wake(NodeId(t.node), t.id, armed);  // re-armed
  node.timers.erase(it);
  TraceEvent e{now(), TraceKind::timer, Principal::replica(NodeId(t.node))};
  e.seq = t.id;
  trace_.record(e);
  step_node(NodeId(t.node), TimerInput{t.id});
}

// ---------------------------------------------------------------- clients

RequestId Simulation::submit(ClientId client, Bytes operation) {
  if (client.value >= clients_.size())
    throw std::out_of_range("Simulation::submit: no such client");
  start();
  const std::uint32_t c = client.value;
  ClientOutput out;
  const RequestId id = clients_[c]->core->submit(now(), operation, out);
  clients_[c]->open_operations.emplace_back(id, record_.operations.size());
  ClientOperation op;
  op.client = client;
  op.request = id;
  op.operation = std::move(operation);
  op.submitted = now();
  record_.operations.push_back(std::move(op));
  TraceEvent e{now(), TraceKind::client_submit, Principal::client(client)};
  e.seq = id.value;
  trace_.record(e);
  client_handle(c, out);
  return id;
}

void Simulation::generate_request(std::uint32_t client) {
  const ClientConfig& cc = config_.clients;
  if (cc.stop_at && now() >= *cc.stop_at) return;
  submit(ClientId(client), make_operation(cc.workload, cc.keys, *client_rng_));
}

void Simulation::schedule_next_arrival() {
  const ClientConfig& cc = config_.clients;
  if (cc.rate_per_second <= 0.0) return;
  const Duration gap{static_cast<std::int64_t>(client_rng_->exponential(1e9 / cc.rate_per_second))};
  const Time at = now() + gap;
  if (cc.stop_at && at >= *cc.stop_at) return;
  scheduler_.at(at, client_target_.get(), kArrival);
}

void Simulation::client_event(std::uint64_t arg) {
  if (arg == kArrival) {
    const std::uint32_t c = next_arrival_client_++ % config_.clients.count;
    generate_request(c);
    schedule_next_arrival();
    return;
  }
  const auto c = static_cast<std::uint32_t>(arg & 0xffffffffULL);
  const auto generation = static_cast<std::uint32_t>(arg >> 32);
  Client& client = *clients_[c];
  if (generation != client.timer_generation) return;
  client.wake_at.reset();
  if (!client.timer_at) return;                               // nothing outstanding any more
  if (*client.timer_at > now()) return queue_client_wake(c);  // the deadline moved later
  client.timer_at.reset();
  ClientOutput out;
  client.core->on_timer(now(), out);
  for (std::size_t i = 0; i < out.to_all_replicas.size(); ++i) {
    TraceEvent e{now(), TraceKind::client_retransmit, Principal::client(ClientId(c))};
    if (auto* r = std::get_if<Request>(&out.to_all_replicas[i]->body)) e.seq = r->id.value;
    trace_.record(e);
  }
  client_handle(c, out);
}

void Simulation::on_reply(std::uint32_t c, const Reply& reply) {
  ClientOutput out;
  clients_[c]->core->on_reply(now(), reply, out);
  // A reply that completes nothing leaves the client's requests, and so its deadline, as
  // the last client_handle() left them, timer armed: nothing to send, record or re-arm.
  // (Most replies: n - f - 1 of every n arrive after their request completed.)
  if (out.completions.empty() && out.to_all_replicas.empty()) return;
  client_handle(c, out);
}

// Sends what the client asked for, records completions, keeps closed-loop load going
// and re-arms the client's retransmission timer.
void Simulation::client_handle(std::uint32_t c, ClientOutput& out) {
  const Principal self = Principal::client(ClientId(c));
  for (const MessagePtr& m : out.to_all_replicas) {
    const Outgoing msg = outgoing(m);
    const Fanout fanout(*this);
    for (std::uint32_t r = 0; r < nodes_.size(); ++r)
      send_from(self, Principal::replica(NodeId(r)), msg);
  }
  for (ClientCompletion& done : out.completions) {
    auto& open = clients_[c]->open_operations;
    auto it = find_by_key(open, done.id);
    if (it != open.end()) {
      ClientOperation& op = record_.operations[it->second];
      op.completed = done.completed;
      op.result = std::move(done.result);
      op.retransmissions = done.retransmissions;
      open.erase(it);
    }
    TraceEvent e{now(), TraceKind::client_complete, self};
    e.seq = done.id.value;
    trace_.record(e);
    if (config_.clients.generate_load && config_.clients.mode == ClientConfig::Mode::closed)
      generate_request(c);
  }
  out.clear();
  arm_client_timer(c);
}

void Simulation::arm_client_timer(std::uint32_t c) {
  Client& client = *clients_[c];
  client.timer_at = client.core->next_deadline();
  if (!client.timer_at || (client.wake_at && *client.wake_at <= *client.timer_at)) return;
  queue_client_wake(c);
}

void Simulation::queue_client_wake(std::uint32_t c) {
  Client& client = *clients_[c];
  ++client.timer_generation;  // invalidates a later wake-up still queued
  client.wake_at = client.timer_at;
  scheduler_.at(*client.timer_at, client_target_.get(),
                c | (static_cast<std::uint64_t>(client.timer_generation) << 32));
}

// ---------------------------------------------------------------- results

const RunRecord& Simulation::record() {
  record_.end = now();
  record_.messages = network_->counters_by_type();
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    const Node& node = *nodes_[i];
    const ReplicaStatus s = node.replica ? node.replica->status() : node.last_status;
    record_.view_changes[NodeId(i)] = s.view_changes;
  }
  return record_;
}

}  // namespace knhk::sim
