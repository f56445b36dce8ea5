// PLACEHOLDER: the smr helper replaces this.
#include "protocols/smr/application.hpp"

#include <stdexcept>

namespace knhk::smr {
std::unique_ptr<Application> make_application(AppKind, std::uint32_t) {
  throw std::logic_error("applications not implemented yet");
}
}  // namespace knhk::smr
