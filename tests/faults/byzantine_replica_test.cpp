// Each Byzantine behaviour rewrites a replica's outgoing effects as documented, using
// only the node's own key; a twin routes inputs and sends by side.
#include <catch2/catch.hpp>

#include "faults/byzantine_replica.hpp"
#include "faults/mutations.hpp"
#include "protocols/message.hpp"

using namespace knhk;
using namespace knhk::faults;

namespace {

// A replica that records its inputs and answers each step with a preset list of effects.
struct Script {
  std::vector<Effect> reply;
  std::vector<std::vector<Input>> inputs;  // per instance, in construction order
};

class ScriptedReplica : public Replica {
 public:
  ScriptedReplica(std::shared_ptr<Script> s, std::size_t index) : s_(std::move(s)), index_(index) {}
  void step(Time, const Input& in, Effects& out) override {
    s_->inputs[index_].push_back(in);
    for (const auto& e : s_->reply) out.list.push_back(e);
  }
  ReplicaStatus status() const override { return {}; }

 private:
  std::shared_ptr<Script> s_;
  std::size_t index_;
};

struct Fixture {
  SimKeyRing keys{7};
  std::shared_ptr<const Signer> signer{keys.signer(Principal::replica(NodeId(0)))};
  std::shared_ptr<const Verifier> verifier = keys.verifier();
  std::shared_ptr<Script> script = std::make_shared<Script>();

  std::unique_ptr<ByzantineReplica> make(std::shared_ptr<ByzantineControl> control) {
    auto s = script;
    sim::ReplicaFactory base = [s](const ReplicaSetup&) {
      s->inputs.emplace_back();
      return std::make_unique<ScriptedReplica>(s, s->inputs.size() - 1);
    };
    ReplicaSetup setup;
    setup.id = NodeId(0);
    setup.signer = signer;
    setup.verifier = verifier;
    return std::make_unique<ByzantineReplica>(setup, base, control);
  }

  MessagePtr prepare(std::uint64_t seq = 5) {
    pbft::Prepare p{View(1), Seq(seq), blake2b("batch"), NodeId(0), {}};
    pbft::sign(p, *signer);
    return make_message(pbft::Message(p));
  }
  MessagePtr pre_prepare() {
    pbft::PrePrepare p;
    p.view = View(1);
    p.seq = Seq(5);
    p.batch = {make_signed_request(ClientId(0), RequestId(1), {1},
                                   *keys.signer(Principal::client(ClientId(0)))),
               make_signed_request(ClientId(1), RequestId(1), {2},
                                   *keys.signer(Principal::client(ClientId(1))))};
    p.digest = batch_digest(p.batch);
    p.replica = NodeId(0);
    pbft::sign(p, *signer);
    return make_message(pbft::Message(p));
  }
  bool verifies(const MessagePtr& m) const {
    return pbft::verify(std::get<pbft::Message>(m->body), *verifier);
  }
};

std::shared_ptr<ByzantineControl> control_for(Behavior b, std::vector<Group> split = {},
                                              std::optional<double> p = std::nullopt) {
  auto c = std::make_shared<ByzantineControl>(NodeId(0), 4, 1, std::nullopt);
  c->activate(ByzantineFault{0, b, std::move(split), p});
  return c;
}

std::vector<MessagePtr> messages(const Effects& e) {
  std::vector<MessagePtr> out;
  for (const auto& x : e.list) {
    if (auto* s = std::get_if<SendEffect>(&x)) out.push_back(s->msg);
    if (auto* b = std::get_if<BroadcastEffect>(&x)) out.push_back(b->msg);
  }
  return out;
}

const pbft::Message& pbft_of(const MessagePtr& m) {
  return std::get<pbft::Message>(m->body);
}

Effects step(Replica& r, Input in = TimerInput{1}) {
  Effects out;
  r.step(Time{}, in, out);
  return out;
}

}  // namespace

TEST_CASE("inactive: effects pass through untouched", "[faults][byzantine]") {
  Fixture f;
  auto control = std::make_shared<ByzantineControl>(NodeId(0), 4, 1, std::nullopt);
  auto r = f.make(control);
  auto msg = f.prepare();
  f.script->reply = {BroadcastEffect{msg}, SetTimerEffect{3, Duration::millis_(5)}};
  auto out = step(*r);
  REQUIRE(out.list.size() == 2);
  CHECK(std::get<BroadcastEffect>(out.list[0]).msg == msg);
}

TEST_CASE("silent sends nothing, replies included, but keeps its timers", "[faults][byzantine]") {
  Fixture f;
  auto r = f.make(control_for(Behavior::silent));
  f.script->reply = {BroadcastEffect{f.prepare()}, SendEffect{NodeId(2), f.prepare()},
                     ReplyEffect{ClientId(0), nullptr, nullptr},
                     SetTimerEffect{3, Duration::millis_(5)}};
  auto out = step(*r);
  REQUIRE(out.list.size() == 1);
  CHECK(std::holds_alternative<SetTimerEffect>(out.list[0]));
}

TEST_CASE("invalid_signature: the message no longer verifies", "[faults][byzantine]") {
  Fixture f;
  auto r = f.make(control_for(Behavior::invalid_signature));
  auto msg = f.prepare();
  CHECK(f.verifies(msg));
  f.script->reply = {BroadcastEffect{msg}};
  auto out = messages(step(*r));
  REQUIRE(out.size() == 1);
  CHECK_FALSE(f.verifies(out[0]));
}

TEST_CASE("corrupt_digest: another digest, validly signed with the node's own key",
          "[faults][byzantine]") {
  Fixture f;
  auto r = f.make(control_for(Behavior::corrupt_digest));
  f.script->reply = {BroadcastEffect{f.prepare()}};
  auto out = messages(step(*r));
  REQUIRE(out.size() == 1);
  CHECK(f.verifies(out[0]));
  CHECK(std::get<pbft::Prepare>(pbft_of(out[0])).digest != blake2b("batch"));
}

TEST_CASE("conflicting_votes: two signed votes for different values in one slot",
          "[faults][byzantine]") {
  Fixture f;
  auto r = f.make(control_for(Behavior::conflicting_votes));
  f.script->reply = {BroadcastEffect{f.prepare()}};
  auto out = messages(step(*r));
  REQUIRE(out.size() == 2);
  auto a = std::get<pbft::Prepare>(pbft_of(out[0]));
  auto b = std::get<pbft::Prepare>(pbft_of(out[1]));
  CHECK(a.seq == b.seq);
  CHECK(a.view == b.view);
  CHECK(a.digest != b.digest);
  CHECK(f.verifies(out[0]));
  CHECK(f.verifies(out[1]));
}

TEST_CASE("equivocate: one side gets the batch, the other a different one", "[faults][byzantine]") {
  Fixture f;
  auto r = f.make(control_for(Behavior::equivocate, {{1}, {2, 3}}));
  auto original = f.pre_prepare();
  f.script->reply = {BroadcastEffect{original}};
  auto out = step(*r);
  REQUIRE(out.list.size() == 3);
  std::map<std::uint32_t, MessagePtr> to;
  for (const auto& e : out.list) to[std::get<SendEffect>(e).to.value] = std::get<SendEffect>(e).msg;
  CHECK(to.at(1) == original);
  auto alt = std::get<pbft::PrePrepare>(pbft_of(to.at(2)));
  CHECK(to.at(3) == to.at(2));
  CHECK(alt.batch.size() == 1);
  CHECK(alt.digest == batch_digest(alt.batch));
  CHECK(alt.digest != std::get<pbft::PrePrepare>(pbft_of(original)).digest);
  CHECK(f.verifies(to.at(2)));
}

TEST_CASE("replay: earlier messages are sent again", "[faults][byzantine]") {
  Fixture f;
  auto r = f.make(control_for(Behavior::replay));
  auto first = f.prepare(1);
  f.script->reply = {SendEffect{NodeId(2), first}};
  CHECK(messages(step(*r)).size() == 1);  // nothing to replay yet
  f.script->reply = {SendEffect{NodeId(3), f.prepare(2)}};
  auto out = step(*r);
  REQUIRE(out.list.size() == 2);
  CHECK(std::get<SendEffect>(out.list[1]).msg == first);
  CHECK(std::get<SendEffect>(out.list[1]).to == NodeId(3));
}

TEST_CASE("withhold_votes: a leader that never proposes", "[faults][byzantine]") {
  Fixture f;
  auto r = f.make(control_for(Behavior::withhold_votes));
  f.script->reply = {BroadcastEffect{f.pre_prepare()}, BroadcastEffect{f.prepare()}};
  auto out = messages(step(*r));
  REQUIRE(out.size() == 1);
  CHECK(std::holds_alternative<pbft::Prepare>(pbft_of(out[0])));
}

TEST_CASE("mutate with p = 1 changes one field of every message and re-signs it",
          "[faults][byzantine]") {
  Fixture f;
  auto r = f.make(control_for(Behavior::mutate, {}, 1.0));
  auto original = std::get<pbft::Prepare>(pbft_of(f.prepare()));
  for (int i = 0; i < 20; ++i) {
    f.script->reply = {BroadcastEffect{f.prepare()}};
    auto out = messages(step(*r));
    REQUIRE(out.size() == 1);
    auto m = std::get<pbft::Prepare>(pbft_of(out[0]));
    int changed =
        (m.view != original.view) + (m.seq != original.seq) + (m.digest != original.digest);
    CHECK(changed == 1);
    CHECK(f.verifies(out[0]));
  }
}

TEST_CASE("twin: inputs and sends are routed by side, timers kept apart", "[faults][byzantine]") {
  Fixture f;
  auto control = std::make_shared<ByzantineControl>(NodeId(0), 4, 1, std::vector<Group>{{1}, {2}});
  auto r = f.make(control);
  REQUIRE(f.script->inputs.size() == 2);  // the replica and its twin, same setup
  auto from = [&](std::uint32_t n) { return Input{MessageInput{NodeId(n), f.prepare()}}; };

  // Inactive: the twin shadows the replica, and only the replica's sends go out.
  f.script->reply = {BroadcastEffect{f.prepare()}};
  auto out = step(*r, from(1));
  CHECK(f.script->inputs[0].size() == 1);
  CHECK(f.script->inputs[1].size() == 1);
  CHECK(out.list.size() == 1);

  control->activate(ByzantineFault{0, Behavior::twin, {{1}, {2}}, std::nullopt});
  f.script->reply = {};
  step(*r, from(1));
  CHECK(f.script->inputs[0].size() == 2);
  CHECK(f.script->inputs[1].size() == 1);
  step(*r, from(2));
  CHECK(f.script->inputs[0].size() == 2);
  CHECK(f.script->inputs[1].size() == 2);
  step(*r, from(3));  // on neither side: nobody hears it
  CHECK(f.script->inputs[0].size() == 2);
  CHECK(f.script->inputs[1].size() == 2);
  auto odd = std::make_shared<const Request>(Request{ClientId(1), RequestId(1), {}, {}, {}});
  step(*r, ClientRequestInput{odd});
  CHECK(f.script->inputs[1].size() == 3);  // odd clients are twin B's

  // Timer 5 of twin B is timer 11 outside; a set_timer(3) by either twin is remapped.
  f.script->reply = {SetTimerEffect{3, Duration::millis_(1)}, SendEffect{NodeId(1), f.prepare()},
                     BroadcastEffect{f.prepare()}};
  out = step(*r, TimerInput{11});
  CHECK(std::get<TimerInput>(f.script->inputs[1].back()).id == 5);
  REQUIRE(out.list.size() == 2);
  CHECK(std::get<SetTimerEffect>(out.list[0]).id == 7);
  CHECK(std::get<SendEffect>(out.list[1]).to == NodeId(2));  // B's broadcast reaches side B only
}
