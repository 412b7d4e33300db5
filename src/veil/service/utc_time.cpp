#include "veil/service/utc_time.h"

#include <cstdio>
#include <ctime>

namespace veil::service {

std::string format_utc(Clock::time_point t) {
  using namespace std::chrono;
  const auto ms_total = floor<milliseconds>(t.time_since_epoch()).count();
  // Floor division, so times before 1970 still print a valid millisecond.
  long long secs = ms_total / 1000;
  long long ms = ms_total % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::optional<Clock::time_point> parse_utc(std::string_view text) {
  // Exactly "YYYY-MM-DDTHH:MM:SS.mmmZ": 24 characters, digits where digits go.
  static constexpr std::string_view kLayout = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != kLayout.size()) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char want = kLayout[i];
    const char c = text[i];
    if (want == 'd' ? (c < '0' || c > '9') : c != want) return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  const int ms = num(20, 3);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59) {
    return std::nullopt;
  }
  const std::tm asked = tm;
  const std::time_t secs = ::timegm(&tm);
  // timegm normalises out-of-range days (Feb 30 -> Mar 2): refuse those.
  if (tm.tm_mday != asked.tm_mday || tm.tm_mon != asked.tm_mon || tm.tm_year != asked.tm_year) {
    return std::nullopt;
  }
  // Outside what a Clock::time_point holds (about 1678..2262 for nanoseconds):
  // refused, rather than overflowing into another time.
  using std::chrono::seconds;
  constexpr auto kMaxSecs = std::chrono::duration_cast<seconds>(Clock::duration::max()).count() - 1;
  constexpr auto kMinSecs = std::chrono::duration_cast<seconds>(Clock::duration::min()).count() + 1;
  if (secs > kMaxSecs || secs < kMinSecs) return std::nullopt;
  return Clock::time_point(std::chrono::seconds(secs) + std::chrono::milliseconds(ms));
}

}  // namespace veil::service
