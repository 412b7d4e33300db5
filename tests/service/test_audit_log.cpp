// The audit log (audit_log.h): the line format, the writer (append, torn
// lines, mode, threads) and the reader (filters, windows, damaged lines);
// and the UTC timestamps it writes (utc_time.h).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "temp_dir.h"
#include "veil/service/audit_log.h"
#include "veil/service/utc_time.h"

namespace veil::service {
namespace {

namespace fs = std::filesystem;
using veil::test::read_text;
using veil::test::TempDir;
using namespace std::chrono_literals;

void append_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::app);
  out << text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

Clock::time_point at(std::int64_t ms) { return Clock::time_point(std::chrono::milliseconds(ms)); }

// A fixed time: 2026-03-01T12:34:56.789Z.
const Clock::time_point kT0 = at(1772368496789);

AuditEvent full_event() {
  AuditEvent e;
  e.time = kT0;
  e.caller = "alice";
  e.role = "search";
  e.action = std::string(audit_action::kSearch);
  e.collection = "faces";
  e.outcome = std::string(kOutcomeOk);
  e.peer = "ipv4:127.0.0.1:5000";
  e.templates = 100000;
  e.k = 10;
  e.batch = 2;
  e.ms = 12.5;
  return e;
}

void expect_same(const AuditEvent& a, const AuditEvent& b) {
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.caller, b.caller);
  EXPECT_EQ(a.role, b.role);
  EXPECT_EQ(a.action, b.action);
  EXPECT_EQ(a.collection, b.collection);
  EXPECT_EQ(a.outcome, b.outcome);
  EXPECT_EQ(a.peer, b.peer);
  EXPECT_EQ(a.templates, b.templates);
  EXPECT_EQ(a.k, b.k);
  EXPECT_EQ(a.batch, b.batch);
  EXPECT_EQ(a.ms, b.ms);
}

// The only keys a line may hold.
const std::set<std::string> kAllowedKeys = {"time",       "caller",  "role", "action",
                                            "collection", "outcome", "peer", "templates",
                                            "k",          "batch",   "ms"};

// ---- UTC time -----------------------------------------------------------------

TEST(UtcTime, Formats) {
  EXPECT_EQ(format_utc(Clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc(kT0), "2026-03-01T12:34:56.789Z");
  // Rounded down to the millisecond.
  EXPECT_EQ(format_utc(kT0 + 999us), "2026-03-01T12:34:56.789Z");
  // Before 1970: floor, not truncation toward zero.
  EXPECT_EQ(format_utc(at(-1)), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_utc(Clock::time_point{} - 1us), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_utc(at(951782400000)), "2000-02-29T00:00:00.000Z");
}

TEST(UtcTime, ParsesWhatItFormats) {
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}, std::int64_t{999},
                          std::int64_t{1772368496789}, std::int64_t{951782400000},
                          std::int64_t{4102444800000}, std::int64_t{-2208988800000}}) {
    const std::string s = format_utc(at(ms));
    const auto back = parse_utc(s);
    ASSERT_TRUE(back.has_value()) << s;
    EXPECT_EQ(*back, at(ms)) << s;
  }
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(Clock::now());
  EXPECT_EQ(parse_utc(format_utc(now)), Clock::time_point(now));
  EXPECT_TRUE(parse_utc("2024-02-29T23:59:59.999Z").has_value());
}

TEST(UtcTime, YearsBeyondTheClockAreRefusedNotWrapped) {
  // A time_point holds a bounded range (about 1678..2262 for nanoseconds):
  // whatever parses must print back as the same text.
  for (const char* s :
       {"0000-01-01T00:00:00.000Z", "1000-06-15T12:00:00.000Z", "1600-01-01T00:00:00.000Z",
        "2262-04-12T00:00:00.000Z", "2300-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"}) {
    const auto t = parse_utc(s);
    if (t) {
      EXPECT_EQ(format_utc(*t), s);
    }
  }
  EXPECT_FALSE(parse_utc("9999-12-31T23:59:59.999Z").has_value());
  EXPECT_FALSE(parse_utc("0000-01-01T00:00:00.000Z").has_value());
  EXPECT_TRUE(parse_utc("2262-01-01T00:00:00.000Z").has_value());
  EXPECT_TRUE(parse_utc("1700-01-01T00:00:00.000Z").has_value());
}

TEST(UtcTime, RefusesOtherText) {
  for (const char* bad : {
           "",
           "2026-03-01T12:34:56Z",
           "2026-03-01T12:34:56.78Z",
           "2026-03-01T12:34:56.7890Z",
           "2026-03-01 12:34:56.789Z",
           "2026-03-01t12:34:56.789Z",
           "2026-03-01T12:34:56.789z",
           "2026-03-01T12:34:56.789+00:00",
           "2026-03-01T12:34:56.789Z ",
           " 2026-03-01T12:34:56.789Z",
           "2026-03-01T12:34:56.789ZZ",
           "+026-03-01T12:34:56.789Z",
           "2026-3-01T12:34:56.789Z0",
           "2026-00-01T12:00:00.000Z",
           "2026-13-01T12:00:00.000Z",
           "2026-01-00T12:00:00.000Z",
           "2026-01-32T12:00:00.000Z",
           "2026-02-29T12:00:00.000Z",  // 2026 is no leap year
           "2026-02-30T12:00:00.000Z",
           "2026-04-31T12:00:00.000Z",
           "2100-02-29T12:00:00.000Z",
           "2026-03-01T24:00:00.000Z",
           "2026-03-01T12:60:00.000Z",
           "2026-03-01T12:00:60.000Z",
           "2026-03-01T12:00:0a.000Z",
       }) {
    EXPECT_FALSE(parse_utc(bad).has_value()) << bad;
  }
}

// ---- the line ------------------------------------------------------------------

TEST(AuditLine, WritesTheFieldsAndNothingElse) {
  const std::string line = audit_line(full_event());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto j = nlohmann::json::parse(line);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("time"), "2026-03-01T12:34:56.789Z");
  EXPECT_EQ(j.at("caller"), "alice");
  EXPECT_EQ(j.at("role"), "search");
  EXPECT_EQ(j.at("action"), "search");
  EXPECT_EQ(j.at("collection"), "faces");
  EXPECT_EQ(j.at("outcome"), "ok");
  EXPECT_EQ(j.at("peer"), "ipv4:127.0.0.1:5000");
  EXPECT_EQ(j.at("templates"), 100000);
  EXPECT_EQ(j.at("k"), 10);
  EXPECT_EQ(j.at("batch"), 2);
  EXPECT_EQ(j.at("ms"), 12.5);
  for (const auto& item : j.items()) EXPECT_TRUE(kAllowedKeys.count(item.key())) << item.key();
  EXPECT_EQ(j.size(), kAllowedKeys.size());

  // Optional fields are left out when unset; the required ones stay.
  AuditEvent minimal;
  minimal.time = kT0;
  minimal.action = "auth_failure";
  minimal.outcome = "UNAUTHENTICATED";
  const auto m = nlohmann::json::parse(audit_line(minimal));
  EXPECT_EQ(m.size(), 6u) << m.dump();
  for (const char* key : {"time", "caller", "role", "action", "collection", "outcome"}) {
    EXPECT_TRUE(m.contains(key)) << key;
  }
  EXPECT_EQ(m.at("caller"), "");
}

TEST(AuditLine, EventHasOnlyItsFixedFields) {
  // Adding a field to AuditEvent (a payload, a score, a token...) breaks this
  // line: look at audit_log.h's promise before changing it.
  [[maybe_unused]] const auto& [time, caller, role, action, collection, outcome, peer, templates, k,
                                batch, ms] = full_event();
  SUCCEED();
}

TEST(AuditLine, RoundTrips) {
  const AuditEvent e = full_event();
  const auto back = parse_audit_line(audit_line(e));
  ASSERT_TRUE(back.has_value());
  expect_same(*back, e);

  AuditEvent minimal;
  minimal.time = at(-5);
  minimal.action = "token_revoke";
  minimal.outcome = "INVALID_ARGUMENT";
  const auto m = parse_audit_line(audit_line(minimal));
  ASSERT_TRUE(m.has_value());
  expect_same(*m, minimal);
  EXPECT_FALSE(m->templates.has_value());
  EXPECT_FALSE(m->ms.has_value());
  EXPECT_TRUE(m->peer.empty());
}

TEST(AuditLine, MillisecondsKeepThreeDecimals) {
  AuditEvent e = full_event();
  e.ms = 12.34567;
  EXPECT_DOUBLE_EQ(*parse_audit_line(audit_line(e))->ms, 12.346);
  e.ms = 0.0004;
  EXPECT_DOUBLE_EQ(*parse_audit_line(audit_line(e))->ms, 0.0);
  // Not finite: left out, the line still an event.
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    e.ms = bad;
    const std::string line = audit_line(e);
    EXPECT_EQ(line.find("\"ms\""), std::string::npos) << line;
    const auto back = parse_audit_line(line);
    ASSERT_TRUE(back.has_value()) << line;
    EXPECT_FALSE(back->ms.has_value());
  }
  // Finite but huge: whatever is written reads back as an event with a
  // number (never a JSON null the reader then skips).
  for (double huge : {1e306, std::numeric_limits<double>::max(), -1e306}) {
    e.ms = huge;
    const std::string line = audit_line(e);
    EXPECT_EQ(line.find("null"), std::string::npos) << line;
    const auto back = parse_audit_line(line);
    ASSERT_TRUE(back.has_value()) << line;
    if (back->ms) {
      EXPECT_TRUE(std::isfinite(*back->ms));
    }
  }
}

TEST(AuditLine, HostileTextCannotForgeALine) {
  AuditEvent e = full_event();
  e.collection =
      "x\",\"outcome\":\"ok\"}\n{\"time\":\"2026-03-01T12:34:56.789Z\",\"caller\":\"root";
  e.caller = std::string("nul\0and\r\n\x1b[2J", 13);
  e.peer = "\xff\xfe not utf-8 \xc3";
  const std::string line = audit_line(e);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_EQ(line.find(std::string(1, '\0')), std::string::npos);
  const auto back = parse_audit_line(line);
  ASSERT_TRUE(back.has_value()) << line;
  EXPECT_EQ(back->collection, e.collection);
  EXPECT_EQ(back->caller, e.caller);
  EXPECT_EQ(back->outcome, "ok");
  // Invalid UTF-8 became U+FFFD.
  EXPECT_NE(back->peer.find("\xef\xbf\xbd"), std::string::npos) << back->peer;
  EXPECT_NE(back->peer.find(" not utf-8 "), std::string::npos);
}

TEST(AuditLine, LongTextIsCut) {
  AuditEvent e = full_event();
  e.caller = std::string(5000, 'c');
  e.collection = std::string(kMaxAuditTextBytes + 1, 'x');
  e.peer = std::string(kMaxAuditTextBytes, 'p');
  const auto back = parse_audit_line(audit_line(e));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->caller, std::string(kMaxAuditTextBytes, 'c'));
  EXPECT_EQ(back->collection, std::string(kMaxAuditTextBytes, 'x'));
  EXPECT_EQ(back->peer, e.peer);
  // A cut through a UTF-8 sequence still reads back.
  e.collection = std::string(kMaxAuditTextBytes - 1, 'x') + "\xc3\xa9";
  const auto cut = parse_audit_line(audit_line(e));
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(cut->collection.substr(0, kMaxAuditTextBytes - 1), std::string(255, 'x'));
}

TEST(AuditLine, RefusesBadActionsAndOutcomes) {
  for (const char* bad : {"", "Search", "search!", "a-b", "a b", "123", "search\n",
                          "abcdefghijklmnopqrstuvwxyzabcdefg"}) {
    AuditEvent e = full_event();
    e.action = bad;
    EXPECT_THROW(audit_line(e), std::invalid_argument) << bad;
  }
  for (const char* good : {"search", "auth_failure", "a", "abcdefghijklmnopqrstuvwxyzabcdef"}) {
    AuditEvent e = full_event();
    e.action = good;
    EXPECT_NO_THROW(audit_line(e)) << good;
  }
  for (const char* bad :
       {"", "not ok", "OK!", "PERMISSION-DENIED", "\"ok\"", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG"}) {
    AuditEvent e = full_event();
    e.outcome = bad;
    EXPECT_THROW(audit_line(e), std::invalid_argument) << bad;
  }
  for (const char* good : {"ok", "UNAUTHENTICATED", "PERMISSION_DENIED", "Internal_Error"}) {
    AuditEvent e = full_event();
    e.outcome = good;
    EXPECT_NO_THROW(audit_line(e)) << good;
  }
}

TEST(AuditLine, ParseRefusesNonEvents) {
  const std::string good = audit_line(full_event());
  ASSERT_TRUE(parse_audit_line(good).has_value());
  auto changed = [&](const char* key, const nlohmann::json& v) {
    auto j = nlohmann::json::parse(good);
    if (v.is_discarded()) {
      j.erase(key);
    } else {
      j[key] = v;
    }
    return j.dump();
  };
  const nlohmann::json kErase(nlohmann::json::value_t::discarded);
  for (const char* key : {"time", "caller", "role", "action", "collection", "outcome"}) {
    EXPECT_FALSE(parse_audit_line(changed(key, kErase)).has_value()) << "without " << key;
    EXPECT_FALSE(parse_audit_line(changed(key, 5)).has_value()) << key << " a number";
  }
  for (const char* key : {"peer", "templates", "k", "batch", "ms"}) {
    EXPECT_TRUE(parse_audit_line(changed(key, kErase)).has_value()) << "without " << key;
  }
  EXPECT_FALSE(parse_audit_line(changed("time", "2026-03-01T12:34:56Z")).has_value());
  EXPECT_FALSE(parse_audit_line(changed("time", "yesterday")).has_value());
  EXPECT_FALSE(parse_audit_line(changed("peer", 1)).has_value());
  EXPECT_FALSE(parse_audit_line(changed("k", -1)).has_value());
  EXPECT_FALSE(parse_audit_line(changed("k", 1.5)).has_value());
  EXPECT_FALSE(parse_audit_line(changed("k", "10")).has_value());
  EXPECT_FALSE(parse_audit_line(changed("templates", nullptr)).has_value());
  EXPECT_FALSE(parse_audit_line(changed("batch", true)).has_value());
  EXPECT_FALSE(parse_audit_line(changed("ms", "12")).has_value());
  EXPECT_FALSE(parse_audit_line(changed("ms", nullptr)).has_value());
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(parse_audit_line(std::string_view(good).substr(0, n)).has_value())
        << "torn at " << n;
  }
  for (const char* bad : {"", "{}", "[]", "null", "\"line\"", "42", "{\"time\":", "garbage"}) {
    EXPECT_FALSE(parse_audit_line(bad).has_value()) << bad;
  }
  EXPECT_FALSE(parse_audit_line(good + "x").has_value());
}

// ---- the writer and the reader ---------------------------------------------------

class AuditLogTest : public ::testing::Test {
 protected:
  TempDir dir;
  fs::path file = dir / "audit.jsonl";
};

TEST_F(AuditLogTest, AppendThenReadBack) {
  const mode_t old = ::umask(0);
  {
    AuditLog log(file);
    ::umask(old);
    EXPECT_EQ(log.path(), file);
    log.append(full_event());
    AuditEvent denied;
    denied.time = kT0 + 1s;
    denied.caller = "bob";
    denied.role = "enroll";
    denied.action = std::string(audit_action::kSearch);
    denied.collection = "faces";
    denied.outcome = "PERMISSION_DENIED";
    log.append(denied);
    AuditEvent unauth;  // time left at the epoch: stamped now
    unauth.action = std::string(audit_action::kAuthFailure);
    unauth.outcome = "UNAUTHENTICATED";
    log.append(unauth);
  }
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  const std::string text = read_text(file);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const auto lines = lines_of(text);
  ASSERT_EQ(lines.size(), 3u);
  for (const std::string& line : lines) {
    const auto j = nlohmann::json::parse(line);
    for (const auto& item : j.items()) EXPECT_TRUE(kAllowedKeys.count(item.key())) << line;
  }

  const AuditPage page = read_audit_log(file, {});
  EXPECT_EQ(page.matched, 3u);
  EXPECT_EQ(page.skipped, 0u);
  ASSERT_EQ(page.events.size(), 3u);
  expect_same(page.events[0], full_event());
  EXPECT_EQ(page.events[1].caller, "bob");
  EXPECT_EQ(page.events[1].outcome, "PERMISSION_DENIED");
  EXPECT_EQ(page.events[2].action, "auth_failure");
  EXPECT_TRUE(page.events[2].caller.empty());
  const auto stamped = page.events[2].time;
  EXPECT_GT(stamped, Clock::now() - 60s);
  EXPECT_LE(stamped, Clock::now());

  // Reopening appends; it never truncates.
  {
    AuditLog log(file, AuditSync::kOnFlush);
    log.append(full_event());
    log.flush();
    log.append(full_event());
  }
  EXPECT_EQ(read_audit_log(file, {}).matched, 5u);
  EXPECT_EQ(read_text(file).substr(0, text.size()), text);
}

TEST_F(AuditLogTest, RefusesWhatIsNoRegularFile) {
  EXPECT_THROW(AuditLog(dir.path()), std::system_error);
  EXPECT_THROW(AuditLog(dir / "missing-dir" / "audit.jsonl"), std::system_error);
  EXPECT_THROW(read_audit_log(dir / "missing", {}), std::system_error);
  EXPECT_THROW(read_audit_log(dir.path(), {}), std::system_error);
  // A FIFO is refused without waiting for a writer.
  const fs::path fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THROW(read_audit_log(fifo, {}), std::system_error);
  EXPECT_THROW(AuditLog{fifo}, std::system_error);
}

TEST_F(AuditLogTest, AppendRefusesBadActionWithoutWriting) {
  AuditLog log(file);
  AuditEvent e = full_event();
  e.action = "Drop Table";
  EXPECT_THROW(log.append(e), std::invalid_argument);
  EXPECT_EQ(fs::file_size(file), 0u);
}

TEST_F(AuditLogTest, TornLastLineIsEndedBeforeTheNextEvent) {
  {
    AuditLog log(file);
    log.append(full_event());
  }
  // A crash cut the second line.
  const std::string second = audit_line(full_event());
  append_text(file, second.substr(0, second.size() / 2));
  {
    AuditLog log(file);
    AuditEvent e = full_event();
    e.caller = "after-crash";
    log.append(e);
  }
  const AuditPage page = read_audit_log(file, {});
  EXPECT_EQ(page.skipped, 1u);
  ASSERT_EQ(page.events.size(), 2u);
  EXPECT_EQ(page.events[1].caller, "after-crash");
}

TEST_F(AuditLogTest, ReaderSkipsDamagedLines) {
  std::string text;
  text += audit_line(full_event()) + "\n";
  text += "\n";                                              // empty: not counted
  text += "garbage\n";                                       // skipped
  text += "{\"time\":\"2026\"}\n";                           // skipped
  text += std::string(kMaxAuditLineBytes + 10, 'x') + "\n";  // overlong: skipped
  AuditEvent long_ok = full_event();
  long_ok.caller = "second";
  text += audit_line(long_ok) + "\n";
  // An event padded with spaces to just over the line limit is skipped too.
  std::string padded = audit_line(full_event());
  padded.insert(1, kMaxAuditLineBytes, ' ');
  text += padded + "\n";
  AuditEvent last = full_event();
  last.caller = "last";
  text += audit_line(last);  // no newline, but whole: an event
  append_text(file, text);
  const AuditPage page = read_audit_log(file, {});
  EXPECT_EQ(page.skipped, 4u);
  EXPECT_EQ(page.matched, 3u);
  ASSERT_EQ(page.events.size(), 3u);
  EXPECT_EQ(page.events[0].caller, "alice");
  EXPECT_EQ(page.events[1].caller, "second");
  EXPECT_EQ(page.events[2].caller, "last");

  // An empty file is an empty page.
  append_text(dir / "empty", "");
  const AuditPage empty = read_audit_log(dir / "empty", {});
  EXPECT_EQ(empty.matched, 0u);
  EXPECT_EQ(empty.skipped, 0u);
  EXPECT_TRUE(empty.events.empty());
}

TEST_F(AuditLogTest, LinesLongerThanTheReadChunkStillParse) {
  // Long (but legal) lines straddle the reader's 64 KiB chunks.
  AuditLog log(file, AuditSync::kOnFlush);
  for (int i = 0; i < 300; ++i) {
    AuditEvent e = full_event();
    e.caller = std::string(kMaxAuditTextBytes, static_cast<char>('a' + i % 26));
    e.collection = std::string(kMaxAuditTextBytes, 'c');
    e.peer = std::string(kMaxAuditTextBytes, 'p');
    e.k = static_cast<std::uint64_t>(i);
    log.append(e);
  }
  log.flush();
  ASSERT_GT(fs::file_size(file), 3u * 65536u);
  AuditQuery q;
  q.limit = 1000;
  const AuditPage page = read_audit_log(file, q);
  EXPECT_EQ(page.skipped, 0u);
  ASSERT_EQ(page.events.size(), 300u);
  for (int i = 0; i < 300; ++i) EXPECT_EQ(page.events[i].k, static_cast<std::uint64_t>(i));
}

class AuditQueryTest : public AuditLogTest {
 protected:
  // 20 events, one second apart from kT0: caller c<i%3>, collection faces
  // (even) or cars (odd), action search or enroll (every fourth), outcome
  // ok or PERMISSION_DENIED (every fifth); k = i.
  void SetUp() override {
    AuditLog log(file, AuditSync::kOnFlush);
    for (int i = 0; i < 20; ++i) {
      AuditEvent e;
      e.time = kT0 + std::chrono::seconds(i);
      e.caller = "c";  // appended: GCC 12 warns falsely (-Wrestrict) on "c" + string&&
      e.caller += std::to_string(i % 3);
      e.role = "admin";
      e.collection = i % 2 == 0 ? "faces" : "cars";
      e.action = std::string(i % 4 == 0 ? audit_action::kEnroll : audit_action::kSearch);
      e.outcome = i % 5 == 0 ? "PERMISSION_DENIED" : "ok";
      e.k = static_cast<std::uint64_t>(i);
      log.append(e);
    }
  }
  std::vector<std::uint64_t> ks(const AuditQuery& q, std::size_t* matched = nullptr) {
    const AuditPage page = read_audit_log(file, q);
    if (matched) *matched = page.matched;
    std::vector<std::uint64_t> out;
    for (const AuditEvent& e : page.events) out.push_back(*e.k);
    return out;
  }
};

TEST_F(AuditQueryTest, Filters) {
  AuditQuery q;
  std::size_t matched = 0;
  EXPECT_EQ(ks(q, &matched).size(), 20u);
  EXPECT_EQ(matched, 20u);

  q = {};
  q.collection = "cars";
  EXPECT_EQ(ks(q), (std::vector<std::uint64_t>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19}));
  q.collection = "car";  // exact match only
  EXPECT_TRUE(ks(q).empty());

  q = {};
  q.caller = "c1";
  EXPECT_EQ(ks(q), (std::vector<std::uint64_t>{1, 4, 7, 10, 13, 16, 19}));
  q = {};
  q.action = "enroll";
  EXPECT_EQ(ks(q), (std::vector<std::uint64_t>{0, 4, 8, 12, 16}));
  q = {};
  q.outcome = "PERMISSION_DENIED";
  EXPECT_EQ(ks(q), (std::vector<std::uint64_t>{0, 5, 10, 15}));

  // since <= time < until.
  q = {};
  q.since = kT0 + 3s;
  q.until = kT0 + 7s;
  EXPECT_EQ(ks(q), (std::vector<std::uint64_t>{3, 4, 5, 6}));
  q.since = kT0 + 3s + 1ms;
  EXPECT_EQ(ks(q), (std::vector<std::uint64_t>{4, 5, 6}));

  // Filters combine.
  q = {};
  q.collection = "faces";
  q.action = "search";
  q.caller = "c0";
  EXPECT_EQ(ks(q, &matched), (std::vector<std::uint64_t>{6, 18}));
  EXPECT_EQ(matched, 2u);
}

TEST_F(AuditQueryTest, Windows) {
  AuditQuery q;
  std::size_t matched = 0;
  q.offset = 5;
  q.limit = 3;
  EXPECT_EQ(ks(q, &matched), (std::vector<std::uint64_t>{5, 6, 7}));
  EXPECT_EQ(matched, 20u) << "matched counts the whole log, not the window";
  q.newest_first = true;
  EXPECT_EQ(ks(q, &matched), (std::vector<std::uint64_t>{14, 13, 12}));
  EXPECT_EQ(matched, 20u);

  q = {};
  q.offset = 18;
  q.limit = 10;
  EXPECT_EQ(ks(q), (std::vector<std::uint64_t>{18, 19}));
  q.newest_first = true;
  EXPECT_EQ(ks(q), (std::vector<std::uint64_t>{1, 0}));
  q.offset = 25;
  EXPECT_TRUE(ks(q).empty());
  q.newest_first = false;
  EXPECT_TRUE(ks(q, &matched).empty());
  EXPECT_EQ(matched, 20u);

  q = {};
  q.limit = 0;
  EXPECT_TRUE(ks(q, &matched).empty());
  EXPECT_EQ(matched, 20u);
  q.newest_first = true;
  EXPECT_TRUE(ks(q, &matched).empty());
  EXPECT_EQ(matched, 20u);

  // The largest window does not overflow.
  q = {};
  q.offset = 2;
  q.limit = std::numeric_limits<std::size_t>::max();
  EXPECT_EQ(ks(q).size(), 18u);
  q.newest_first = true;
  const auto newest = ks(q);
  ASSERT_EQ(newest.size(), 18u);
  EXPECT_EQ(newest.front(), 17u);
  EXPECT_EQ(newest.back(), 0u);

  // Newest first with a filter.
  q = {};
  q.collection = "cars";
  q.newest_first = true;
  q.offset = 1;
  q.limit = 2;
  EXPECT_EQ(ks(q, &matched), (std::vector<std::uint64_t>{17, 15}));
  EXPECT_EQ(matched, 10u);

  // The default window is the first 100.
  EXPECT_EQ(AuditQuery{}.limit, 100u);
}

TEST_F(AuditLogTest, ConcurrentAppendsKeepLinesWhole) {
  constexpr int kThreads = 4;
  constexpr int kEach = 200;
  {
    AuditLog log(file, AuditSync::kOnFlush);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          AuditEvent e = full_event();
          e.caller = "thread";
          e.caller += std::to_string(t);
          e.collection = std::string(200, static_cast<char>('a' + t));
          e.k = static_cast<std::uint64_t>(i);
          log.append(e);
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  AuditQuery q;
  q.limit = kThreads * kEach;
  const AuditPage page = read_audit_log(file, q);
  EXPECT_EQ(page.skipped, 0u);
  ASSERT_EQ(page.events.size(), static_cast<std::size_t>(kThreads * kEach));
  std::vector<int> next(kThreads, 0);
  for (const AuditEvent& e : page.events) {
    const int t = e.caller.back() - '0';
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(e.collection, std::string(200, static_cast<char>('a' + t)));
    EXPECT_EQ(*e.k, static_cast<std::uint64_t>(next[t]++)) << "one thread's lines in order";
  }
}

TEST_F(AuditLogTest, NoPayloadEverReachesTheFile) {
  // The values of every field a caller can fill show up only in their own
  // field; nothing else is written.
  AuditLog log(file);
  AuditEvent e = full_event();
  log.append(e);
  for (const std::string& line : lines_of(read_text(file))) {
    const auto j = nlohmann::json::parse(line);
    std::set<std::string> keys;
    for (const auto& item : j.items()) keys.insert(item.key());
    EXPECT_EQ(keys, kAllowedKeys);
    for (const auto& item : j.items()) {
      EXPECT_TRUE(item.value().is_string() || item.value().is_number()) << item.key();
    }
  }
}

}  // namespace
}  // namespace veil::service
