// Real timers under the UDP host: re-arming replaces the deadline, cancel means never.
#include <catch2/catch.hpp>
#include <chrono>

#include "net/udp_host.hpp"
#include "net_test_support.hpp"

using namespace knhk;
using namespace knhk::net;

namespace {

class TimerReplica : public Replica {
 public:
  void step(Time, const Input& input, Effects& out) override {
    if (std::holds_alternative<StartInput>(input)) {
      out.set_timer(1, Duration::millis_(50));
      out.set_timer(2, Duration::millis_(10));
      out.set_timer(3, Duration::millis_(1));
      out.cancel_timer(3);  // cancelled in the step that set it: never fires
    } else if (auto* t = std::get_if<TimerInput>(&input)) {
      fired.push_back(t->id);
      if (t->id == 2) {
        out.set_timer(1, Duration::millis_(20));  // replaces the 50 ms deadline
        out.set_timer(4, Duration::millis_(30));
      }
      if (t->id == 1) out.cancel_timer(4);  // 4 would fire 10 ms after this: it must not
    }
  }
  ReplicaStatus status() const override { return {}; }
  std::vector<TimerId> fired;
};

}  // namespace

TEST_CASE("udp host: timers re-arm by replacing and cancelled timers never fire", "[net][host]") {
  boost::asio::io_context io;
  auto cluster = test::make_cluster(4, 0);
  auto replica = std::make_unique<TimerReplica>();
  TimerReplica* r = replica.get();
  UdpHost host(io, {NodeId(0), cluster, test::key_for(Principal::replica(NodeId(0))), {}, true, {}},
               std::move(replica));
  host.start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (r->fired.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(5));
    io.restart();
  }
  io.run_for(std::chrono::milliseconds(150));  // long enough for 4 and the old 1 to show up
  CHECK(r->fired == std::vector<TimerId>{2, 1});
}
