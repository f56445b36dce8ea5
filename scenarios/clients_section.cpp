#include "scenarios/sections.hpp"
#include "scenarios/units.hpp"

namespace knhk::scenarios {

ClientsSpec parse_clients(const Source& src, const Field& f, Duration run) {
  MapFields m(
      src, f,
      {"count", "mode", "rate", "outstanding", "workload", "keys", "request_timeout", "stop_at"});
  ClientsSpec c;
  if (auto v = m.optional("count"))
    c.count = static_cast<std::uint32_t>(as_uint(src, *v, 1, 100000));
  if (auto v = m.optional("mode"))
    c.mode = as_enum<ClientsSpec::Mode>(
        src, *v, {{"open", ClientsSpec::Mode::open}, {"closed", ClientsSpec::Mode::closed}});
  const bool open = c.mode == ClientsSpec::Mode::open;
  if (auto v = m.optional("rate")) {
    if (!open) src.fail(*v, "`clients.rate` applies only to `mode: open`");
    c.rate_per_s = as_rate(src, *v);
  } else if (open) {
    src.fail(m.self(), "missing required key `rate` in `clients` (needed by `mode: open`)");
  }
  if (auto v = m.optional("outstanding")) {
    if (open) src.fail(*v, "`clients.outstanding` applies only to `mode: closed`");
    c.outstanding = static_cast<std::uint32_t>(as_uint(src, *v, 1, 100000));
  }
  if (auto v = m.optional("workload"))
    c.workload = as_enum<AppKind>(
        src, *v, {{"kv", AppKind::kv}, {"bank", AppKind::bank}, {"noop", AppKind::noop}});
  if (auto v = m.optional("keys"))
    c.keys = static_cast<std::uint32_t>(as_uint(src, *v, 1, 1u << 24));
  if (auto v = m.optional("request_timeout")) c.request_timeout = as_positive_duration(src, *v);
  if (auto v = m.optional("stop_at")) {
    c.stop_at = as_duration(src, *v);
    if (*c.stop_at > run)
      src.fail(*v, "`clients.stop_at` (" + format_duration(*c.stop_at) +
                       ") is after the end of the run (" + format_duration(run) + ")");
  }
  return c;
}

}  // namespace knhk::scenarios
