// The audit log: one JSON line per service call, appended, never rewritten.
//   {"time":"2026-03-01T12:34:56.789Z","caller":"alice","role":"search",
//    "action":"search","collection":"faces","outcome":"ok","k":10,"templates":100000,"ms":12.5}
// A line holds who (caller, role, peer address), what (action, collection),
// how it ended (outcome: "ok" or a status name) and small numbers: never a
// payload, a template, a probe, the ids of matches, a score or a token. The
// fields are fixed, so nothing else can be logged by mistake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "veil/io/unique_fd.h"
#include "veil/service/utc_time.h"

namespace veil::service {

// Actions the services log (an action is 1..32 of [a-z_]).
namespace audit_action {
inline constexpr std::string_view kSearch = "search";
inline constexpr std::string_view kEnroll = "enroll";
inline constexpr std::string_view kCreate = "create";
inline constexpr std::string_view kDelete = "delete";
inline constexpr std::string_view kCompact = "compact";
inline constexpr std::string_view kInfo = "info";
inline constexpr std::string_view kRank = "rank";
inline constexpr std::string_view kShortlist = "shortlist";
inline constexpr std::string_view kRescore = "rescore";
inline constexpr std::string_view kAuthFailure = "auth_failure";
inline constexpr std::string_view kTokenAdd = "token_add";
inline constexpr std::string_view kTokenRevoke = "token_revoke";
}  // namespace audit_action

// The outcome of a call that succeeded; failures log their status name
// ("UNAUTHENTICATED", "PERMISSION_DENIED", "INVALID_ARGUMENT", ...).
inline constexpr std::string_view kOutcomeOk = "ok";

struct AuditEvent {
  // When; append() stamps the current time when left at the epoch.
  Clock::time_point time{};
  std::string caller{};                      // the token's name; empty when unauthenticated
  std::string role{};                        // role_name() of the token; empty when unauthenticated
  std::string action{};                      // audit_action::*: 1..32 of [a-z_]
  std::string collection{};                  // empty when the call names none
  std::string outcome{};                     // kOutcomeOk or a status name: 1..32 of [A-Za-z_]
  std::string peer{};                        // the client's address, when known; empty otherwise
  std::optional<std::uint64_t> templates{};  // templates enrolled, or in the scanned gallery
  std::optional<std::uint64_t> k{};          // results asked for
  std::optional<std::uint64_t> batch{};      // probes or templates in the request
  std::optional<double> ms{};                // time the call took (finite; 3 decimals kept)
};

// The longest text field written (caller, collection, peer); longer text is cut.
inline constexpr std::size_t kMaxAuditTextBytes = 256;
// Lines longer than this are skipped by the reader (append writes far shorter).
inline constexpr std::size_t kMaxAuditLineBytes = 16 * 1024;

// When appended lines reach the disk: fsync after every line (a line
// returned from append() survives a crash), or only on flush() and on
// destruction (faster; a crash loses the lines since the last flush).
enum class AuditSync : std::uint8_t { kEveryLine, kOnFlush };

class AuditLog {
 public:
  // Opens `path` for appending (O_APPEND), creating it with mode 0600.
  // A file whose last line was torn by a crash gets a newline first, so the
  // fragment stays one skipped line and the next event parses. OS failures
  // are std::system_error naming the path; a path that is not a regular
  // file is refused.
  explicit AuditLog(std::filesystem::path path, AuditSync sync = AuditSync::kEveryLine);
  // Syncs what was appended (errors ignored: call flush() to see them).
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one line, in one write(); thread-safe. Text fields are cut to
  // kMaxAuditTextBytes and escaped (invalid UTF-8 becomes U+FFFD), so a
  // hostile collection name cannot forge a line. An action or outcome that
  // is not a short identifier is std::invalid_argument (a programming
  // error); write or fsync failures are std::system_error.
  void append(const AuditEvent& event);
  // fsyncs the lines appended so far.
  void flush();

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  AuditSync sync_;
  std::mutex mu_;
  io::UniqueFd fd_;    // guarded by mu_
  bool torn_ = false;  // a failed write may have left part of a line
  bool unsynced_ = false;
};

// The JSON line append() writes for `event` (without the newline).
std::string audit_line(const AuditEvent& event);
// The event of one line; nullopt when it is not one (torn, malformed, or a
// required field missing or of the wrong type).
std::optional<AuditEvent> parse_audit_line(std::string_view line);

// What to read: the events matching every filter that is set, then the
// window [offset, offset + limit) of them, oldest first or newest first.
struct AuditQuery {
  std::optional<std::string> collection{};   // exact match
  std::optional<std::string> caller{};       // exact match
  std::optional<std::string> action{};       // exact match
  std::optional<std::string> outcome{};      // exact match
  std::optional<Clock::time_point> since{};  // time >= since
  std::optional<Clock::time_point> until{};  // time < until
  std::size_t offset = 0;
  std::size_t limit = 100;
  bool newest_first = false;
};

struct AuditPage {
  std::vector<AuditEvent> events;  // the window asked for
  std::size_t matched = 0;         // events in the whole log matching the filters
  std::size_t skipped = 0;         // lines that are no event (a line torn by a crash, damage)
};

// Reads the log at `path` in one pass, keeping at most offset + limit
// events in memory. Lines that do not parse are counted in `skipped`, never
// an error. A missing or unreadable file is std::system_error.
AuditPage read_audit_log(const std::filesystem::path& path, const AuditQuery& query);

}  // namespace veil::service
