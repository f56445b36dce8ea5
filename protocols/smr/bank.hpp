// The seed's bank: accounts 0..accounts-1, each starting with kInitialBalance.
//
// Operation encoding (canonical, protocols/common/codec.hpp):
//   u8 op · fields
//   1 transfer(from u32, to u32, amount u64)
//   2 balance(account u32)
//   3 approve(owner u32, spender u32, amount u64)      sets the allowance (0 clears it)
//   4 transfer_from(spender u32, owner u32, to u32, amount u64)   spends an allowance
//   5 allowance(owner u32, spender u32)
// Result encoding:
//   u8 status (0 ok, 1 value, 2 insufficient_funds, 3 insufficient_allowance, 4 error) ·
//   value: u64 · error: string reason
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "protocols/common/types.hpp"
#include "protocols/smr/application.hpp"

namespace knhk::smr::bank {

inline constexpr std::uint64_t kInitialBalance = 1000;

enum class OpKind : std::uint8_t {
  transfer = 1,
  balance = 2,
  approve = 3,
  transfer_from = 4,
  allowance = 5
};

struct Op {
  OpKind kind = OpKind::balance;
  std::uint32_t a = 0;  // transfer: from; balance: account; approve/allowance: owner;
                        // transfer_from: spender
  std::uint32_t b = 0;  // transfer: to; approve/allowance: spender; transfer_from: owner
  std::uint32_t c = 0;  // transfer_from: to
  std::uint64_t amount = 0;
  bool operator==(const Op&) const = default;
};

enum class Status : std::uint8_t {
  ok = 0,
  value = 1,
  insufficient_funds = 2,
  insufficient_allowance = 3,
  error = 4
};

struct Result {
  Status status = Status::ok;
  std::uint64_t value = 0;  // value only
  std::string error;        // error only
  bool operator==(const Result&) const = default;
};

Bytes encode_transfer(std::uint32_t from, std::uint32_t to, std::uint64_t amount);
Bytes encode_balance(std::uint32_t account);
Bytes encode_approve(std::uint32_t owner, std::uint32_t spender, std::uint64_t amount);
Bytes encode_transfer_from(std::uint32_t spender, std::uint32_t owner, std::uint32_t to,
                           std::uint64_t amount);
Bytes encode_allowance(std::uint32_t owner, std::uint32_t spender);
Bytes encode_op(const Op& op);
std::optional<Op> decode_op(std::span<const std::uint8_t> bytes);

Bytes encode_result(const Result& r);
std::optional<Result> decode_result(std::span<const std::uint8_t> bytes);

// The bank's state hash from snapshot bytes alone (what state_hash() returns after
// restore), or nullopt if they are not a well-formed bank snapshot.
std::optional<Digest> snapshot_state_hash(std::span<const std::uint8_t> snapshot);
std::unique_ptr<Application> make_bank_application(std::uint32_t accounts);

}  // namespace knhk::smr::bank
