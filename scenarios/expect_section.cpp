#include "scenarios/sections.hpp"

namespace knhk::scenarios {
namespace {

LivenessExpect parse_liveness(const Source& src, const Field& f) {
  LivenessExpect l;
  if (f.node.IsScalar() && f.node.Scalar() == "false") {
    l.mode = LivenessExpect::Mode::violated;
    return l;
  }
  if (!f.node.IsMap())
    src.fail(f, "`expect.liveness` must be `false` or `{within: DURATION}`, got " +
                    describe_node(f.node));
  MapFields m(src, f, {"within"});
  l.mode = LivenessExpect::Mode::within;
  l.within = as_positive_duration(src, m.required("within"));
  return l;
}

}  // namespace

ExpectSpec parse_expect(const Source& src, const Field& f, std::uint32_t nodes) {
  MapFields m(src, f,
              {"safety", "liveness", "min_commits", "max_view_changes", "latency_p50_max",
               "latency_p99_max", "byzantine_detected"});
  ExpectSpec e;
  if (auto v = m.optional("safety")) e.safety = as_bool(src, *v);
  if (auto v = m.optional("liveness")) e.liveness = parse_liveness(src, *v);
  if (auto v = m.optional("min_commits")) e.min_commits = as_uint(src, *v, 0, UINT64_MAX);
  if (auto v = m.optional("max_view_changes")) e.max_view_changes = as_uint(src, *v, 0, UINT64_MAX);
  if (auto v = m.optional("latency_p50_max")) e.latency_p50_max = as_positive_duration(src, *v);
  if (auto v = m.optional("latency_p99_max")) e.latency_p99_max = as_positive_duration(src, *v);
  if (auto v = m.optional("byzantine_detected")) {
    Group ids = as_group(src, *v, nodes);
    std::sort(ids.begin(), ids.end());
    e.byzantine_detected = ids;
  }
  return e;
}

}  // namespace knhk::scenarios
