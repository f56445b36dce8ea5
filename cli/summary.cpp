#include "cli/summary.hpp"

#include <cstdio>

#include "scenarios/units.hpp"

namespace knhk::cli {
namespace {

using scenarios::format_duration;

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string rpad(const std::string& s, std::size_t width) {
  return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

double throughput(const scenarios::RunResult& r) {
  double secs = r.scenario.duration.seconds();
  return secs > 0 ? static_cast<double>(r.metrics.commands_committed) / secs : 0.0;
}

std::string opt_ms(const std::optional<Duration>& d) {
  return d ? fixed(d->millis(), 3) : std::string("null");
}

void print_messages_text(std::ostream& out, const sim::RunRecord& rec) {
  out << "messages  " << pad("type", 24) << rpad("sent", 10) << rpad("bytes", 14)
      << rpad("delivered", 11) << rpad("dropped", 9) << "\n";
  sim::TypeCounters total;
  for (const auto& [type, c] : rec.messages) {
    out << "          " << pad(type, 24) << rpad(std::to_string(c.sent), 10)
        << rpad(std::to_string(c.sent_bytes), 14) << rpad(std::to_string(c.delivered), 11)
        << rpad(std::to_string(c.dropped), 9) << "\n";
    total.sent += c.sent;
    total.sent_bytes += c.sent_bytes;
    total.delivered += c.delivered;
    total.dropped += c.dropped;
  }
  out << "          " << pad("total", 24) << rpad(std::to_string(total.sent), 10)
      << rpad(std::to_string(total.sent_bytes), 14) << rpad(std::to_string(total.delivered), 11)
      << rpad(std::to_string(total.dropped), 9) << "\n";
}

}  // namespace

std::string replay_command(const scenarios::RunResult& r, const std::string& file) {
  return "knhk run " + file + " --seed " + std::to_string(r.scenario.seed);
}

void print_summary_text(std::ostream& out, const scenarios::RunResult& r, const std::string& file) {
  const auto& s = r.scenario;
  const auto& m = r.metrics;
  out << "scenario  " << s.name << " (" << to_string(s.protocol.kind) << ", " << s.protocol.nodes
      << " nodes, seed " << s.seed << ", " << format_duration(s.duration) << " simulated)\n";
  out << "commits   " << m.commands_committed << " commands at " << m.positions_committed
      << " log positions, " << fixed(throughput(r), 1) << " ops/s\n";
  out << "latency   p50 " << (m.latency_p50 ? fixed(m.latency_p50->millis(), 3) + "ms" : "-")
      << "  p99 " << (m.latency_p99 ? fixed(m.latency_p99->millis(), 3) + "ms" : "-") << "  ("
      << m.operations_completed << " of " << m.operations_submitted << " requests completed)\n";
  out << "views     " << m.max_view_changes << " view changes (most of any honest replica)\n";
  print_messages_text(out, r.record);
  bool first = true;
  for (const auto& e : r.expectations) {
    out << (first ? "expect    " : "          ") << (e.passed ? "PASS " : "FAIL ") << e.name << ": "
        << e.detail << "\n";
    first = false;
  }
  out << "trace     " << r.trace_events << " events, digest " << r.trace_digest.hex() << "\n";
  if (r.passed()) {
    out << "result    PASS\n";
  } else {
    out << "result    FAIL (" << r.first_failure()->name << ")\n";
    out << "replay    " << replay_command(r, file) << "\n";
  }
}

void print_summary_json(std::ostream& out, const scenarios::RunResult& r, const std::string& file) {
  const auto& s = r.scenario;
  const auto& m = r.metrics;
  out << "{\"scenario\":" << json_string(s.name) << ",\"file\":" << json_string(file)
      << ",\"protocol\":\"" << to_string(s.protocol.kind) << "\",\"nodes\":" << s.protocol.nodes
      << ",\"seed\":" << s.seed << ",\"duration_s\":" << fixed(s.duration.seconds(), 6)
      << ",\"commits\":" << m.commands_committed << ",\"positions\":" << m.positions_committed
      << ",\"throughput_ops\":" << fixed(throughput(r), 3)
      << ",\"requests_submitted\":" << m.operations_submitted
      << ",\"requests_completed\":" << m.operations_completed
      << ",\"latency_p50_ms\":" << opt_ms(m.latency_p50)
      << ",\"latency_p99_ms\":" << opt_ms(m.latency_p99)
      << ",\"view_changes\":" << m.max_view_changes << ",\"messages\":{";
  bool first = true;
  for (const auto& [type, c] : r.record.messages) {
    out << (first ? "" : ",") << json_string(type) << ":{\"sent\":" << c.sent
        << ",\"bytes\":" << c.sent_bytes << ",\"delivered\":" << c.delivered
        << ",\"dropped\":" << c.dropped << ",\"duplicated\":" << c.duplicated << "}";
    first = false;
  }
  out << "},\"flagged\":[";
  first = true;
  for (NodeId n : m.flagged) out << (first ? "" : ",") << n.value, first = false;
  out << "],\"expectations\":[";
  first = true;
  for (const auto& e : r.expectations) {
    out << (first ? "" : ",") << "{\"name\":" << json_string(e.name)
        << ",\"passed\":" << (e.passed ? "true" : "false")
        << ",\"detail\":" << json_string(e.detail) << "}";
    first = false;
  }
  out << "],\"trace_events\":" << r.trace_events << ",\"trace_digest\":\"" << r.trace_digest.hex()
      << "\",\"passed\":" << (r.passed() ? "true" : "false");
  if (!r.passed()) out << ",\"replay\":" << json_string(replay_command(r, file));
  out << "}\n";
}

}  // namespace knhk::cli
