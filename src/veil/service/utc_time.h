// UTC timestamps as the service files write them: ISO-8601 with
// milliseconds and a Z, e.g. "2026-03-01T12:34:56.789Z".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace veil::service {

using Clock = std::chrono::system_clock;

// `t` in UTC, rounded down to the millisecond: "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string format_utc(Clock::time_point t);

// The time that format_utc printed; nullopt for anything else (another
// layout, a field out of range, trailing text).
std::optional<Clock::time_point> parse_utc(std::string_view text);

}  // namespace veil::service
