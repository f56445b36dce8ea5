// A simulated cluster: n replicas of a protocol, clients, the network and the event
// trace over one Scheduler, all driven by one seed.
//
// The Simulation is the SimHost of the architecture: it feeds each replica its
// inputs (with the node's skewed clock as `now`) and executes the effects it returns
// — sends through the Network, timers through the Scheduler, commits/replies/evidence
// into the RunRecord and the trace, persists into the node's simulated durable store.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocols/common/client.hpp"
#include "protocols/common/crypto.hpp"
#include "protocols/common/host.hpp"
#include "protocols/common/params.hpp"
#include "protocols/factory.hpp"
#include "sim/network.hpp"
#include "sim/record.hpp"
#include "sim/recorded_batches.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"
#include "sim/trace.hpp"

namespace knhk::sim {

struct ClientConfig {
  enum class Mode : std::uint8_t { open, closed };
  std::uint32_t count = 1;
  Mode mode = Mode::closed;
  double rate_per_second = 1000.0;  // open loop: Poisson arrivals, total over all clients
  std::uint32_t outstanding = 1;    // closed loop: requests in flight per client
  AppKind workload = AppKind::kv;
  std::uint32_t keys = 100;
  Duration request_timeout = Duration::secs(1);
  std::optional<Time> stop_at;  // no new submissions from this time on
  // When false, clients exist (and can submit through Simulation::submit) but
  // generate no load of their own.
  bool generate_load = true;
};

struct SimulationConfig {
  ProtocolParams params;
  std::uint64_t seed = 1;
  NetworkConfig network;
  ClientConfig clients;
};

// Builds the replica for one node; called at boot and at every restart.
using ReplicaFactory = std::function<std::unique_ptr<Replica>(const ReplicaSetup&)>;
ReplicaFactory default_replica_factory();  // knhk::make_replica

class Simulation {
 public:
  explicit Simulation(SimulationConfig config, ReplicaFactory factory = default_replica_factory());
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  const SimulationConfig& config() const { return config_; }
  std::uint32_t replicas() const { return config_.params.nodes; }
  std::uint32_t clients() const { return config_.clients.count; }

  // ---- running ----
  // Boots every replica (StartInput) and the clients at time 0; called by the first
  // run_until()/step() if not called before.
  void start();
  void run_until(Time until);
  bool step();  // one event; false when nothing is pending
  Time now() const { return scheduler_.now(); }
  // Runs `fn` at virtual time `at` (for fault injection and scripted tests).
  EventId schedule(Time at, std::function<void()> fn);

  // ---- nodes ----
  // Destroys the replica: volatile state, pending timers and in-flight deliveries to it
  // are lost; its durable store survives. No-op if already crashed.
  void crash(NodeId node);
  // A new replica from the factory, started with its durable store. No-op if running.
  void restart(NodeId node);
  bool is_crashed(NodeId node) const;
  // nullopt while crashed.
  std::optional<ReplicaStatus> status(NodeId node) const;
  Replica* replica(NodeId node);  // nullptr while crashed
  const DurableStore& durable_store(NodeId node) const;
  // Marks a replica faulty in the record (crashes mark themselves).
  void mark_faulty(NodeId node, std::string reason);

  // ---- clients ----
  // Submits one operation from `client` now (in addition to any generated load).
  RequestId submit(ClientId client, Bytes operation);

  // ---- environment ----
  Network& network() { return *network_; }
  const Network& network() const { return *network_; }
  Scheduler& scheduler() { return scheduler_; }
  RngStreams& rng() { return rngs_; }
  const ClusterKeys& keys() const { return *keys_; }
  // Records a fault event in the trace (faults/ calls it when applying/reverting one).
  void trace_fault(std::string_view label, std::optional<NodeId> node = std::nullopt,
                   std::string_view detail = {});

  // ---- results ----
  Trace& trace() { return trace_; }
  void set_trace_sink(std::ostream* out) { trace_.set_sink(out); }
  Digest trace_digest() const { return trace_.digest(); }
  // Brings the counters and view changes up to date and returns the record.
  const RunRecord& record();

 private:
  struct Node;
  struct Client;
  struct Delivery;  // one copy in flight
  struct TimerSlot;
  struct ArmedTimer;
  class DeliveryTarget;
  class TimerTarget;
  class ClientTarget;

  void boot_node(NodeId node);
  void step_node(NodeId node, const Input& input);
  void execute(NodeId node, Effects& effects);
  void execute_one(NodeId node, Effect& effect);
  // What the network and the trace need to know about a message, computed once per
  // effect (a broadcast encodes its message once, not once per destination).
  struct Outgoing {
    MessagePtr msg;
    MessageFacts facts;
  };
  Outgoing outgoing(MessagePtr msg);
  TypeHandle type_handle(const Message& msg, std::uint32_t kind);
  void send_from(Principal from, Principal to, const Outgoing& out);
  void trace_fate(Principal from, Principal to, const MessageFacts& m, const Fate& fate);
  void deliver(std::uint64_t slot);
  std::uint32_t deliver_one(std::uint32_t slot);
  void schedule_delivery(Time at, std::uint32_t slot, bool chainable);
  void prefetch_delivery(std::uint64_t slot) const;
  void prefetch_message(std::uint64_t slot) const;
  void fire_timer(std::uint64_t slot);
  void set_timer(NodeId node, TimerId id, Duration after);
  void cancel_timer(NodeId node, TimerId id);
  void queue_timer_wake(NodeId node, TimerId id, ArmedTimer& timer);
  void queue_client_wake(std::uint32_t client);
  void client_event(std::uint64_t arg);
  void client_send_all(std::uint32_t client, const ClientOutput& out);
  void client_handle(std::uint32_t client, ClientOutput& out);
  void arm_client_timer(std::uint32_t client);
  void schedule_next_arrival();
  void reserve_record();
  void generate_request(std::uint32_t client);
  void on_reply(std::uint32_t client, const Reply& reply);

  SimulationConfig config_;
  ReplicaFactory factory_;
  RngStreams rngs_;
  Rng* client_rng_;
  Scheduler scheduler_;
  std::unique_ptr<ClusterKeys> keys_;
  std::shared_ptr<const Verifier> verifier_;  // keys_->verifier(), behind a VerifyCache for ed25519
  std::unique_ptr<Network> network_;
  Trace trace_;
  RunRecord record_;
  RecordedBatches recorded_batches_;
  bool started_ = false;

  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<Delivery> deliveries_;  // slab of in-flight messages
  static constexpr std::uint32_t kNoDelivery = 0xffffffffu;
  // While a Fanout is open (one message sent to several destinations), a copy due at the
  // same instant as the copy scheduled just before it is chained to that one
  // (schedule_delivery).
  class Fanout {
   public:
    explicit Fanout(Simulation& s) : s_(s), was_open_(s.fanout_open_) {
      s_.fanout_open_ = true;
      s_.fanout_tail_ = kNoDelivery;
    }
    ~Fanout() {
      s_.fanout_open_ = was_open_;
      s_.fanout_tail_ = kNoDelivery;
    }
    Fanout(const Fanout&) = delete;
    Fanout& operator=(const Fanout&) = delete;

   private:
    Simulation& s_;
    bool was_open_;
  };
  bool fanout_open_ = false;
  std::uint32_t fanout_tail_ = kNoDelivery;  // the last copy scheduled, if chainable
  Time fanout_at_;
  std::vector<std::uint32_t> free_deliveries_;
  std::vector<TimerSlot> timer_slots_;
  std::vector<std::uint32_t> free_timer_slots_;
  std::unique_ptr<DeliveryTarget> delivery_target_;
  std::unique_ptr<TimerTarget> timer_target_;
  std::unique_ptr<ClientTarget> client_target_;
  std::uint32_t next_arrival_client_ = 0;
  Effects scratch_;
  // Message types: the trace handle of each message kind (MessageInfo::kind, kNoHandle
  // until first sent) and the network counters of each handle.
  static constexpr std::uint32_t kNoHandle = 0xffffffffu;
  std::vector<std::uint32_t> handle_of_kind_;
  std::vector<TypeCounters*> counters_of_handle_;
};

}  // namespace knhk::sim
