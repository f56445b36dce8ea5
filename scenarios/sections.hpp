// The loader's per-section parsers (internal to scenarios/).
#pragma once

#include "scenarios/scenario.hpp"
#include "scenarios/yaml_fields.hpp"

namespace knhk::scenarios {

ProtocolSpec parse_protocol(const Source& src, const Field& f);
NetworkSpec parse_network(const Source& src, const Field& f, std::uint32_t nodes);
LatencyDist parse_latency(const Source& src, const Field& f);
ClientsSpec parse_clients(const Source& src, const Field& f, Duration run);
std::vector<FaultSpec> parse_faults(const Source& src, const Field& f, std::uint32_t nodes,
                                    Duration run);
ExpectSpec parse_expect(const Source& src, const Field& f, std::uint32_t nodes);

}  // namespace knhk::scenarios
