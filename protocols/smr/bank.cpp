#include "protocols/smr/bank.hpp"

#include <map>
#include <utility>
#include <vector>

#include "protocols/common/codec.hpp"

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

class BankApplication : public Application {
 public:
  explicit BankApplication(std::uint32_t accounts) : balances_(accounts, kInitialBalance) {}

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
      w.u64(v);
    }
    return w.take();
  }

  bool restore(const Bytes& snapshot) override {
    auto decoded = decode_all(snapshot, [&](Reader& r) { return decode_state(r); });
    if (!decoded) return false;
    balances_ = std::move(decoded->first);
    allowances_ = std::move(decoded->second);
    return true;
  }

  Digest state_hash() const override { return blake2b(snapshot()); }

 private:
  bool valid(std::uint32_t account) const { return account < balances_.size(); }

  std::uint64_t allowance(std::uint32_t owner, std::uint32_t spender) const {
    auto it = allowances_.find({owner, spender});
    return it == allowances_.end() ? 0 : it->second;
  }

  // Moves `amount` if the source can pay; a self-transfer only checks the balance.
  Bytes transfer(std::uint32_t from, std::uint32_t to, std::uint64_t amount) {
    if (!valid(from) || !valid(to)) return error_result("unknown account");
    if (balances_[from] < amount) return status_result(Status::insufficient_funds);
    if (from != to && balances_[to] > UINT64_MAX - amount) return error_result("overflow");
    balances_[from] -= amount;
    balances_[to] += amount;
    return status_result(Status::ok);
  }

  Bytes approve(std::uint32_t owner, std::uint32_t spender, std::uint64_t amount) {
    if (!valid(owner) || !valid(spender)) return error_result("unknown account");
    // A zero allowance is not stored, so the snapshot has one encoding per state.
    if (amount == 0)
      allowances_.erase({owner, spender});
    else
      allowances_[{owner, spender}] = amount;
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

  using State = std::pair<std::vector<std::uint64_t>, std::map<AllowanceKey, std::uint64_t>>;

  // Strict: same account count, allowances sorted, non-zero and between valid accounts.
  State decode_state(Reader& r) const {
    if (r.u8() != kSnapshotTag) throw DecodeError("bad bank snapshot tag");
    if (r.u32() != balances_.size()) throw DecodeError("bank snapshot for another size");
    State s;
    s.first.resize(balances_.size());
    for (auto& b : s.first) b = r.u64();
    auto n = r.length(16);
    for (std::uint32_t i = 0; i < n; ++i) {
      AllowanceKey k{r.u32(), r.u32()};
      auto v = r.u64();
      if (!valid(k.first) || !valid(k.second) || v == 0) throw DecodeError("bad allowance");
      if (!s.second.empty() && !(s.second.rbegin()->first < k))
        throw DecodeError("allowances not sorted");
      s.second.emplace_hint(s.second.end(), k, v);
    }
    return s;
  }

  std::vector<std::uint64_t> balances_;
  std::map<AllowanceKey, std::uint64_t> allowances_;
};

}  // namespace

Bytes encode_op(const Op& op) {
  Writer w;
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

std::unique_ptr<Application> make_bank_application(std::uint32_t accounts) {
  return std::make_unique<BankApplication>(accounts);
}

}  // namespace knhk::smr::bank
