#include "sim/message_info.hpp"

#include <concepts>
#include <variant>

#include "protocols/message.hpp"

namespace knhk::sim {
namespace {

template <class T>
struct IsVariant : std::false_type {};
template <class... Ts>
struct IsVariant<std::variant<Ts...>> : std::true_type {};

template <class T>
std::optional<std::uint64_t> view_of(const T& m) {
  if constexpr (requires {
                  { m.view } -> std::convertible_to<View>;
                }) {
    return m.view.value;
  } else if constexpr (requires {
                         { m.new_view } -> std::convertible_to<View>;
                       }) {
    return m.new_view.value;
  } else if constexpr (requires {
                         { m.block.view } -> std::convertible_to<View>;
                       }) {
    return m.block.view.value;
  } else {
    return std::nullopt;
  }
}

template <class T>
std::optional<std::uint64_t> seq_of(const T& m) {
  if constexpr (requires {
                  { m.seq } -> std::convertible_to<Seq>;
                }) {
    return m.seq.value;
  } else if constexpr (requires {
                         { m.height } -> std::convertible_to<Height>;
                       }) {
    return m.height.value;
  } else if constexpr (requires {
                         { m.block.height } -> std::convertible_to<Height>;
                       }) {
    return m.block.height.value;
  } else if constexpr (requires {
                         { m.stable_seq } -> std::convertible_to<Seq>;
                       }) {
    return m.stable_seq.value;
  } else if constexpr (requires {
                         { m.id } -> std::convertible_to<RequestId>;
                       }) {
    return m.id.value;  // client requests and replies: the request id
  } else {
    return std::nullopt;
  }
}

struct InfoOf {
  template <class T>
  MessageInfo operator()(const T& m) const {
    if constexpr (IsVariant<T>::value) {
      static_assert(std::variant_size_v<T> <= 64, "a message kind level holds 6 bits");
      MessageInfo info = std::visit(*this, m);
      info.kind = (info.kind << 6) | static_cast<std::uint32_t>(m.index());
      return info;
    } else {
      return MessageInfo{view_of(m), seq_of(m)};
    }
  }
};

}  // namespace

MessageInfo message_info(const Message& m) {
  return InfoOf{}(m.body);
}

}  // namespace knhk::sim
