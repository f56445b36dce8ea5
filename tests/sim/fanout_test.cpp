// The copies of a broadcast due at the same instant are delivered in destination order,
// back to back, before anything their delivery schedules for that instant: the order of
// (time, scheduling sequence) that holds whether or not the simulator lets the copies ride
// one scheduler event (Simulation::schedule_delivery).
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "protocols/message.hpp"
#include "sim/simulation.hpp"

using namespace knhk;
using namespace knhk::sim;

namespace {

Request marker(std::uint64_t id) {
  return Request{ClientId(0), RequestId(id), {1}, {}, {}};
}

// Node 0 broadcasts marker 1 when it starts; every node that receives marker 1 sends
// marker 2 to itself (a self-send has no delay: it is due at the same instant).
class FanoutReplica : public Replica {
 public:
  explicit FanoutReplica(const ReplicaSetup& s) : id_(s.id) {}
  void step(Time, const Input& input, Effects& out) override {
    if (std::holds_alternative<StartInput>(input) && id_ == NodeId(0))
      out.broadcast(make_message(marker(1)));
    if (auto* m = std::get_if<MessageInput>(&input))
      if (auto* r = std::get_if<Request>(&m->msg->body); r && r->id == RequestId(1))
        out.send(id_, make_message(marker(2)));
  }
  ReplicaStatus status() const override { return {}; }

 private:
  NodeId id_;
};

// The deliveries in the trace, as "<node>:<marker>" in trace order.
std::vector<std::string> deliveries(const std::string& trace) {
  std::vector<std::string> out;
  std::istringstream lines(trace);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"kind\":\"deliver\"") == std::string::npos) continue;
    const auto node = line.substr(line.find("\"node\":") + 7, 1);
    const bool own = line.find("\"from\":" + node) != std::string::npos;
    out.push_back(node + (own ? ":2" : ":1"));
  }
  return out;
}

SimulationConfig fanout_config() {
  SimulationConfig c;
  c.params.nodes = 5;
  c.clients.count = 0;
  c.network.latency = LatencyModel::constant(Duration::millis_(30));
  return c;
}

}  // namespace

TEST_CASE("fan-out: same-instant copies arrive in destination order, before what they cause",
          "[sim][fanout]") {
  Simulation s(fanout_config(),
               [](const ReplicaSetup& r) { return std::make_unique<FanoutReplica>(r); });
  std::ostringstream trace;
  s.set_trace_sink(&trace);
  s.run_until(Time{} + Duration::millis_(100));
  REQUIRE(deliveries(trace.str()) ==
          std::vector<std::string>{"1:1", "2:1", "3:1", "4:1", "1:2", "2:2", "3:2", "4:2"});
}

TEST_CASE("fan-out: a destination crashed at that instant loses only its own copy",
          "[sim][fanout]") {
  Simulation s(fanout_config(),
               [](const ReplicaSetup& r) { return std::make_unique<FanoutReplica>(r); });
  std::ostringstream trace;
  s.set_trace_sink(&trace);
  // Scheduled before the broadcast exists, so it runs first at 30 ms.
  s.schedule(Time{} + Duration::millis_(30), [&] { s.crash(NodeId(2)); });
  s.run_until(Time{} + Duration::millis_(100));
  REQUIRE(deliveries(trace.str()) ==
          std::vector<std::string>{"1:1", "3:1", "4:1", "1:2", "3:2", "4:2"});
  REQUIRE(trace.str().find("destination_crashed") != std::string::npos);
}
