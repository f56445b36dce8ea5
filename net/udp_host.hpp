// Runs one knhk::Replica over real UDP: the second implementation of the host contract
// (protocols/common/host.hpp) beside the simulator's. One single-threaded io_context;
// `now` is the steady clock; timers are asio timers; PersistEffects go to a FileStore
// and are on disk before any later effect of the same step is executed. No protocol
// logic lives here: the host only moves bytes, time and effects.
//
// Effects are executed per wake-up of the loop, not per step (group commit): the steps
// of one burst of datagrams share one fdatasync, and nothing they send leaves before it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "net/cluster_file.hpp"
#include "net/datagram_io.hpp"
#include "net/file_store.hpp"
#include "net/node_metrics.hpp"
#include "net/wire.hpp"
#include "protocols/common/host.hpp"

namespace knhk::net {

// The real monotonic clock as a knhk::Time.
Time steady_now();

boost::asio::ip::udp::endpoint resolve_udp(boost::asio::io_context& io, const std::string& host,
                                           std::uint16_t port);

struct UdpHostConfig {
  NodeId id;
  ClusterFile cluster;
  Ed25519KeyPair keys;
  std::optional<std::filesystem::path> data_dir;  // none: nothing survives a restart
  bool fsync = true;  // false: the store survives process crashes but not power loss
  WireConfig wire{};  // wire.max_datagram_bytes also bounds the packing of frames
};

class UdpHost {
 public:
  UdpHost(boost::asio::io_context& io, UdpHostConfig config, std::unique_ptr<Replica> replica);
  ~UdpHost();

  // Binds the socket, recovers the store and feeds the replica its StartInput.
  void start();
  // Closes the socket and cancels every timer; pending handlers return without effect.
  void stop();

  boost::asio::ip::udp::endpoint local_endpoint() const { return socket_.local_endpoint(); }
  ReplicaStatus status() const { return replica_->status(); }
  const DropCounters& drops() const { return wire_.drops(); }
  std::string render_metrics() const;
  std::uint64_t datagrams_received() const { return datagrams_in_; }
  // For tests: push raw bytes through the receive path as if they arrived on the socket.
  void inject_datagram(std::span<const std::uint8_t> bytes,
                       const boost::asio::ip::udp::endpoint& from);

 private:
  struct TimerSlot {
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::uint64_t generation = 0;
  };

  void receive();
  void drain_and_flush();
  void on_datagram(std::span<const std::uint8_t> bytes, const boost::asio::ip::udp::endpoint& from);
  void on_received(Received&& r, const boost::asio::ip::udp::endpoint& from, Time now);
  void step(const Input& input);
  void flush();
  void execute(Effects& effects);
  void execute_one(const Effect& e);
  void send_message(Principal to, const Message& m, std::span<const std::uint8_t> encoded,
                    std::uint64_t message_id);
  void send_datagrams(std::vector<Bytes>&& datagrams, const boost::asio::ip::udp::endpoint& to);
  void send_queued();
  void set_timer(TimerId id, Duration after);
  void cancel_timer(TimerId id);
  void note_commit(const CommitEffect& c);
  void housekeeping();

  boost::asio::io_context& io_;
  UdpHostConfig config_;
  std::unique_ptr<Replica> replica_;
  boost::asio::ip::udp::socket socket_;
  Wire wire_;
  std::unique_ptr<FileStore> store_;
  DurableStore memory_store_;  // used when there is no data directory
  std::map<NodeId, boost::asio::ip::udp::endpoint> peers_;
  std::map<ClientId, boost::asio::ip::udp::endpoint> clients_;  // learnt from their requests
  std::map<TimerId, TimerSlot> timers_;                         // armed timers only
  std::uint64_t timer_generations_ = 0;
  Effects pending_;  // produced by steps since the last flush
  boost::asio::steady_timer housekeeping_timer_;
  NodeMetrics metrics_;
  // First arrival of each request still uncommitted, for consensus_latency_seconds.
  std::map<std::pair<ClientId, RequestId>, Time> request_arrivals_;
  BatchReceiver receiver_;
  BatchSender outbox_;  // datagrams of the current flush, sent together (sendmmsg)
  std::uint64_t datagrams_in_ = 0;
  std::uint64_t datagrams_out_ = 0;
  std::size_t largest_in_ = 0;  // longest datagram received (a peer's limit may differ)
  bool stopped_ = false;
  // Shared with every handler we queue: the io_context may outlive this host (tests run
  // several hosts on one loop), and a queued handler checks it before touching `this`.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace knhk::net
