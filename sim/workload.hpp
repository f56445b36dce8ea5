// Client operations in the formats of protocols/smr/application.hpp, drawn from the
// "clients" random stream. The one place that knows how operations are encoded.
#pragma once

#include <cstdint>

#include "protocols/common/params.hpp"
#include "protocols/common/types.hpp"
#include "sim/rng.hpp"

namespace knhk::sim {

// One operation for `app` over a key space of `keys` keys.
Bytes make_operation(AppKind app, std::uint32_t keys, Rng& rng);

}  // namespace knhk::sim
