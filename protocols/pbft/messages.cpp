#include "protocols/pbft/messages.hpp"

namespace knhk::pbft {

void encode(Writer& w, const Message& m) { put(w, std::get<Placeholder>(m).view); }
Message decode_message(Reader& r) { return Placeholder{get_id<View>(r)}; }
std::string_view type_name(const Message&) { return "pbft.placeholder"; }

}  // namespace knhk::pbft
