#include "protocols/smr/bank.hpp"

#include <map>
#include <utility>
#include <vector>

#include "protocols/common/codec.hpp"
#include "protocols/smr/hash_input.hpp"
#include "protocols/smr/state_machine.hpp"

namespace knhk::smr::bank {
namespace {

constexpr std::uint8_t kSnapshotTag = 0x42;  // 'B'

Bytes status_result(Status s) {
  return encode_result(Result{s, 0, {}});
}
Bytes value_result(std::uint64_t v) {
  return encode_result(Result{Status::value, v, {}});
}
Bytes error_result(std::string reason) {
  return encode_result(Result{Status::error, 0, std::move(reason)});
}

using AllowanceKey = std::pair<std::uint32_t, std::uint32_t>;  // (owner, spender)

// The state hash is incremental, like the kv store's: the sum modulo 2^256 (digest_add) of
// one digest per balance and one per non-zero allowance, hashed with the account and
// allowance counts. An operation rehashes the one or two entries it changes; hashing the
// whole snapshot per commit grew with the allowance table (up to accounts² entries).
Digest balance_digest(std::uint32_t account, std::uint64_t balance) {
  HashInput h;
  h.raw("knhk.bank.balance.v1");
  h.u32(account);
  h.u64(balance);
  return h.finish();
}
Digest allowance_digest(const AllowanceKey& k, std::uint64_t amount) {
  HashInput h;
  h.raw("knhk.bank.allowance.v1");
  h.u32(k.first);
  h.u32(k.second);
  h.u64(amount);
  return h.finish();
}
Digest bank_hash(std::size_t accounts, std::size_t allowances, const Digest& sum) {
  HashInput h;
  h.raw("knhk.bank.state.v1");
  h.u64(accounts);
  h.u64(allowances);
  h.digest(sum);
  return h.finish();
}

using State = std::pair<std::vector<std::uint64_t>, std::map<AllowanceKey, std::uint64_t>>;

// Strict: `accounts` accounts, allowances sorted, non-zero and between valid accounts.
State decode_state(Reader& r, std::uint32_t accounts) {
  if (r.u8() != kSnapshotTag) throw DecodeError("bad bank snapshot tag");
  if (r.u32() != accounts) throw DecodeError("bank snapshot for another size");
  State s;
  s.first.resize(accounts);
  for (auto& b : s.first) b = r.u64();
  auto n = r.length(16);
  for (std::uint32_t i = 0; i < n; ++i) {
    AllowanceKey k{r.u32(), r.u32()};
    auto v = r.u64();
    if (k.first >= accounts || k.second >= accounts || v == 0) throw DecodeError("bad allowance");
    if (!s.second.empty() && !(s.second.rbegin()->first < k))
      throw DecodeError("allowances not sorted");
    s.second.emplace_hint(s.second.end(), k, v);
  }
  return s;
}

Digest hash_of(const State& s) {
  Digest sum;
  for (std::uint32_t a = 0; a < s.first.size(); ++a)
    sum = digest_add(sum, balance_digest(a, s.first[a]));
  for (const auto& [k, v] : s.second) sum = digest_add(sum, allowance_digest(k, v));
  return bank_hash(s.first.size(), s.second.size(), sum);
}

class BankApplication : public Application {
 public:
  explicit BankApplication(std::uint32_t accounts) {
    install(State{std::vector<std::uint64_t>(accounts, kInitialBalance), {}});
  }

  Bytes apply(const Bytes& operation) override {
    auto op = decode_op(operation);
    if (!op) return error_result("malformed operation");
    switch (op->kind) {
      case OpKind::transfer:
        return transfer(op->a, op->b, op->amount);
      case OpKind::balance:
        if (!valid(op->a)) return error_result("unknown account");
        return value_result(balances_[op->a]);
      case OpKind::approve:
        return approve(op->a, op->b, op->amount);
      case OpKind::transfer_from:
        return transfer_from(*op);
      case OpKind::allowance:
        if (!valid(op->a) || !valid(op->b)) return error_result("unknown account");
        return value_result(allowance(op->a, op->b));
    }
    return error_result("unknown operation");
  }

  Bytes snapshot() const override {
    Writer w;
    w.u8(kSnapshotTag);
    w.u32(static_cast<std::uint32_t>(balances_.size()));
    for (auto b : balances_) w.u64(b);
    w.u32(static_cast<std::uint32_t>(allowances_.size()));
    for (const auto& [k, v] : allowances_) {
      w.u32(k.first);
      w.u32(k.second);
      w.u64(v.amount);
    }
    return w.take();
  }

  bool restore(const Bytes& snapshot) override {
    const auto accounts = static_cast<std::uint32_t>(balances_.size());
    auto decoded = decode_all(snapshot, [&](Reader& r) { return decode_state(r, accounts); });
    if (!decoded) return false;
    install(*decoded);
    return true;
  }

  Digest state_hash() const override {
    return bank_hash(balances_.size(), allowances_.size(), sum_);
  }

 private:
  bool valid(std::uint32_t account) const { return account < balances_.size(); }

  std::uint64_t allowance(std::uint32_t owner, std::uint32_t spender) const {
    auto it = allowances_.find({owner, spender});
    return it == allowances_.end() ? 0 : it->second.amount;
  }

  void install(const State& s) {
    balances_ = s.first;
    balance_digests_.resize(balances_.size());
    allowances_.clear();
    sum_ = Digest{};
    for (std::uint32_t a = 0; a < balances_.size(); ++a) {
      balance_digests_[a] = balance_digest(a, balances_[a]);
      sum_ = digest_add(sum_, balance_digests_[a]);
    }
    for (const auto& [k, v] : s.second) {
      const Digest d = allowance_digest(k, v);
      allowances_.emplace_hint(allowances_.end(), k, Allowance{v, d});
      sum_ = digest_add(sum_, d);
    }
  }
  void set_balance(std::uint32_t account, std::uint64_t balance) {
    sum_ = digest_sub(sum_, balance_digests_[account]);
    balance_digests_[account] = balance_digest(account, balance);
    sum_ = digest_add(sum_, balance_digests_[account]);
    balances_[account] = balance;
  }

  // Moves `amount` if the source can pay; a self-transfer only checks the balance.
  Bytes transfer(std::uint32_t from, std::uint32_t to, std::uint64_t amount) {
    if (!valid(from) || !valid(to)) return error_result("unknown account");
    if (balances_[from] < amount) return status_result(Status::insufficient_funds);
    if (from != to && balances_[to] > UINT64_MAX - amount) return error_result("overflow");
    if (from != to) {
      set_balance(from, balances_[from] - amount);
      set_balance(to, balances_[to] + amount);
    }
    return status_result(Status::ok);
  }

  Bytes approve(std::uint32_t owner, std::uint32_t spender, std::uint64_t amount) {
    if (!valid(owner) || !valid(spender)) return error_result("unknown account");
    // A zero allowance is not stored, so the snapshot has one encoding per state.
    const AllowanceKey k{owner, spender};
    auto it = allowances_.find(k);
    if (it != allowances_.end()) {
      sum_ = digest_sub(sum_, it->second.digest);
      if (amount == 0) allowances_.erase(it);
    }
    if (amount != 0) {
      const Digest d = allowance_digest(k, amount);
      allowances_.insert_or_assign(k, Allowance{amount, d});
      sum_ = digest_add(sum_, d);
    }
    return status_result(Status::ok);
  }

  Bytes transfer_from(const Op& op) {
    auto spender = op.a, owner = op.b, to = op.c;
    if (!valid(spender) || !valid(owner) || !valid(to)) return error_result("unknown account");
    auto allowed = allowance(owner, spender);
    if (allowed < op.amount) return status_result(Status::insufficient_allowance);
    auto result = transfer(owner, to, op.amount);
    if (decode_result(result)->status == Status::ok) approve(owner, spender, allowed - op.amount);
    return result;
  }

  struct Allowance {
    std::uint64_t amount;
    Digest digest;  // allowance_digest(key, amount)
  };
  std::vector<std::uint64_t> balances_;
  std::vector<Digest> balance_digests_;  // balance_digest of each balance
  std::map<AllowanceKey, Allowance> allowances_;
  Digest sum_;  // of every balance and allowance digest
};

}  // namespace

// Exact-size, as kv::encode_op.
Bytes encode_op(const Op& op) {
  StackWriter<64> w;
  w.u8(static_cast<std::uint8_t>(op.kind));
  switch (op.kind) {
    case OpKind::transfer:
    case OpKind::approve:
      w.u32(op.a);
      w.u32(op.b);
      w.u64(op.amount);
      break;
    case OpKind::balance:
      w.u32(op.a);
      break;
    case OpKind::transfer_from:
      w.u32(op.a);
      w.u32(op.b);
      w.u32(op.c);
      w.u64(op.amount);
      break;
    case OpKind::allowance:
      w.u32(op.a);
      w.u32(op.b);
      break;
  }
  return w.take();
}

std::optional<Op> decode_op(std::span<const std::uint8_t> bytes) {
  return decode_all(bytes, [](Reader& r) {
    Op op;
    auto kind = r.u8();
    if (kind < 1 || kind > 5) throw DecodeError("bad bank op");
    op.kind = static_cast<OpKind>(kind);
    op.a = r.u32();
    if (op.kind != OpKind::balance) op.b = r.u32();
    if (op.kind == OpKind::transfer_from) op.c = r.u32();
    if (op.kind != OpKind::balance && op.kind != OpKind::allowance) op.amount = r.u64();
    return op;
  });
}

Bytes encode_transfer(std::uint32_t from, std::uint32_t to, std::uint64_t amount) {
  return encode_op(Op{OpKind::transfer, from, to, 0, amount});
}
Bytes encode_balance(std::uint32_t account) {
  return encode_op(Op{OpKind::balance, account, 0, 0, 0});
}
Bytes encode_approve(std::uint32_t owner, std::uint32_t spender, std::uint64_t amount) {
  return encode_op(Op{OpKind::approve, owner, spender, 0, amount});
}
Bytes encode_transfer_from(std::uint32_t spender, std::uint32_t owner, std::uint32_t to,
                           std::uint64_t amount) {
  return encode_op(Op{OpKind::transfer_from, spender, owner, to, amount});
}
Bytes encode_allowance(std::uint32_t owner, std::uint32_t spender) {
  return encode_op(Op{OpKind::allowance, owner, spender, 0, 0});
}

Bytes encode_result(const Result& res) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(res.status));
  if (res.status == Status::value) w.u64(res.value);
  if (res.status == Status::error) w.string(res.error);
  return w.take();
}

std::optional<Result> decode_result(std::span<const std::uint8_t> bytes) {
  return decode_all(bytes, [](Reader& r) {
    Result res;
    auto status = r.u8();
    if (status > 4) throw DecodeError("bad bank status");
    res.status = static_cast<Status>(status);
    if (res.status == Status::value) res.value = r.u64();
    if (res.status == Status::error) res.error = r.string();
    return res;
  });
}

std::optional<Digest> snapshot_state_hash(std::span<const std::uint8_t> snapshot) {
  const auto accounts = snapshot_size_field(snapshot, kSnapshotTag);
  if (!accounts) return std::nullopt;
  auto state = decode_all(snapshot, [&](Reader& r) { return decode_state(r, *accounts); });
  if (!state) return std::nullopt;
  return hash_of(*state);
}

std::unique_ptr<Application> make_bank_application(std::uint32_t accounts) {
  return std::make_unique<BankApplication>(accounts);
}

}  // namespace knhk::smr::bank
