// PLACEHOLDER: the hotstuff helper replaces this with the protocol's real message variant.
#pragma once

#include <string_view>
#include <variant>

#include "protocols/common/codec.hpp"
#include "protocols/common/types.hpp"

namespace knhk::hotstuff {

struct Placeholder {
  View view;
  bool operator==(const Placeholder&) const = default;
};

using Message = std::variant<Placeholder>;

void encode(Writer& w, const Message& m);
Message decode_message(Reader& r);
std::string_view type_name(const Message& m);

}  // namespace knhk::hotstuff
