// The audit log's line format: one JSON object per line (audit_log.h).
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "veil/service/audit_log.h"

namespace veil::service {
namespace {

using json = nlohmann::json;

// 1..32 characters of [a-z_], or also [A-Z] when `upper`.
bool is_identifier(std::string_view s, bool upper) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || c == '_' || (upper && c >= 'A' && c <= 'Z');
    if (!ok) return false;
  }
  return true;
}

// At most kMaxAuditTextBytes; a cut through a UTF-8 sequence becomes U+FFFD
// when the line is written.
std::string cut(std::string_view s) { return std::string(s.substr(0, kMaxAuditTextBytes)); }

bool get_string(const json& j, const char* name, std::string& out) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

// An optional count: absent is fine, present must be a whole number >= 0.
bool get_count(const json& j, const char* name, std::optional<std::uint64_t>& out) {
  const auto it = j.find(name);
  if (it == j.end()) return true;
  if (!it->is_number_unsigned()) return false;
  out = it->get<std::uint64_t>();
  return true;
}

}  // namespace

std::string audit_line(const AuditEvent& event) {
  if (!is_identifier(event.action, false)) {
    throw std::invalid_argument("audit: action must be 1..32 of [a-z_], got '" +
                                cut(event.action).substr(0, 40) + "'");
  }
  if (!is_identifier(event.outcome, true)) {
    throw std::invalid_argument("audit: outcome must be 1..32 of [A-Za-z_], got '" +
                                cut(event.outcome).substr(0, 40) + "'");
  }
  nlohmann::ordered_json j;
  j["time"] = format_utc(event.time);
  j["caller"] = cut(event.caller);
  j["role"] = cut(event.role);
  j["action"] = event.action;
  j["collection"] = cut(event.collection);
  j["outcome"] = event.outcome;
  if (!event.peer.empty()) j["peer"] = cut(event.peer);
  if (event.templates) j["templates"] = *event.templates;
  if (event.k) j["k"] = *event.k;
  if (event.batch) j["batch"] = *event.batch;
  if (event.ms && std::isfinite(*event.ms)) {
    // Rounding a huge value overflows to infinity, which JSON writes as null.
    const double rounded = std::round(*event.ms * 1000.0) / 1000.0;
    j["ms"] = std::isfinite(rounded) ? rounded : *event.ms;
  }
  // Escaped: control characters become \u00XX, so a value never ends the
  // line; invalid UTF-8 becomes U+FFFD.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::optional<AuditEvent> parse_audit_line(std::string_view line) {
  const json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;  // a discarded (invalid) parse is not an object
  AuditEvent e;
  std::string time;
  if (!get_string(j, "time", time)) return std::nullopt;
  const auto t = parse_utc(time);
  if (!t) return std::nullopt;
  e.time = *t;
  if (!get_string(j, "caller", e.caller) || !get_string(j, "role", e.role) ||
      !get_string(j, "action", e.action) || !get_string(j, "collection", e.collection) ||
      !get_string(j, "outcome", e.outcome)) {
    return std::nullopt;
  }
  if (j.contains("peer") && !get_string(j, "peer", e.peer)) return std::nullopt;
  if (!get_count(j, "templates", e.templates) || !get_count(j, "k", e.k) ||
      !get_count(j, "batch", e.batch)) {
    return std::nullopt;
  }
  if (const auto it = j.find("ms"); it != j.end()) {
    if (!it->is_number()) return std::nullopt;
    e.ms = it->get<double>();
  }
  return e;
}

}  // namespace veil::service
