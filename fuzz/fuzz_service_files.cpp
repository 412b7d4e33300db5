// Fuzz target for the service layer's file readers: the token file parser
// (parse_token_file) and the audit log reader (parse_audit_line,
// read_audit_log).
//
// Input: byte 0 picks the reader (bit 0: 0 = token file, 1 = audit log) and,
// for the audit log, the window asked for (bit 1: newest first; bit 2:
// offset 1, limit 2); the rest is the file's text. A token file may only be
// refused with io::FormatError; the audit reader never throws for bad
// content (damaged lines are counted as skipped). Any other exception, a
// crash or a broken invariant is a finding:
// - a token file that parses holds valid, unique names and hashes, and its
//   serialization is a fixed point of parse + serialize;
// - the audit reader's counts agree with parse_audit_line line by line, the
//   window is the one asked for, and an event that parses and can be written
//   again reads back with the same fields.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_target.h"
#include "veil/io/errors.h"
#include "veil/service/audit_log.h"
#include "veil/service/token_file.h"
#include "veil/service/tokens.h"
#include "veil/service/utc_time.h"

namespace service = veil::service;
using Bytes = std::vector<std::uint8_t>;

namespace {

void check_token_file(std::string_view text) {
  service::TokenFile f;
  try {
    f = service::parse_token_file(text, "fuzz");
  } catch (const veil::io::FormatError&) {
    return;
  }
  VEIL_FUZZ_CHECK(f.entries.size() <= service::kMaxTokens);
  std::set<std::string> names;
  std::set<service::TokenHash> hashes;
  for (const service::TokenEntry& e : f.entries) {
    VEIL_FUZZ_CHECK(!service::caller_name_problem(e.name));
    VEIL_FUZZ_CHECK(!service::collection_problem(e.collection));
    VEIL_FUZZ_CHECK(service::parse_utc(e.created).has_value());
    VEIL_FUZZ_CHECK(names.insert(e.name).second);
    VEIL_FUZZ_CHECK(hashes.insert(e.hash).second);
  }
  const std::string once = service::serialize_token_file(f);
  const service::TokenFile back = service::parse_token_file(once, "fuzz: serialized");
  VEIL_FUZZ_CHECK(back.key == f.key);
  VEIL_FUZZ_CHECK(back.entries.size() == f.entries.size());
  VEIL_FUZZ_CHECK(service::serialize_token_file(back) == once);
}

// The file the audit reader reads: one per process, kept open and rewritten
// in place per input (no close, so no writeback per input), removed at exit.
struct AuditFile {
  std::string path;
  int fd = -1;
};

const AuditFile& audit_file() {
  // Never destroyed, so the exit handler may still use it.
  static const AuditFile* const file = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "veil-fuzz-audit-XXXXXX").string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) {
      std::perror("mkstemp");
      std::abort();
    }
    return new AuditFile{tmpl, fd};
  }();
  static const bool registered = std::atexit([] { ::unlink(file->path.c_str()); }) == 0;
  (void)registered;
  return *file;
}

void write_audit_file(std::string_view text) {
  const int fd = audit_file().fd;
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n =
        ::pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    VEIL_FUZZ_CHECK(n > 0);
    done += static_cast<std::size_t>(n);
  }
  VEIL_FUZZ_CHECK(::ftruncate(fd, static_cast<off_t>(text.size())) == 0);
}

// An event read back: written again (when its action and outcome are ones
// append() accepts), it must read back the same.
void check_event(const service::AuditEvent& e) {
  std::string line;
  try {
    line = service::audit_line(e);
  } catch (const std::invalid_argument&) {
    return;  // a line no writer of this version produces
  }
  VEIL_FUZZ_CHECK(line.find('\n') == std::string::npos);
  const auto back = service::parse_audit_line(line);
  VEIL_FUZZ_CHECK(back.has_value());
  VEIL_FUZZ_CHECK(back->time == e.time);
  VEIL_FUZZ_CHECK(back->action == e.action);
  VEIL_FUZZ_CHECK(back->outcome == e.outcome);
  VEIL_FUZZ_CHECK(back->templates == e.templates);
  VEIL_FUZZ_CHECK(back->k == e.k);
  VEIL_FUZZ_CHECK(back->batch == e.batch);
  VEIL_FUZZ_CHECK(back->caller.size() <= 3 * service::kMaxAuditTextBytes);
  if (e.ms && std::isfinite(*e.ms)) {
    VEIL_FUZZ_CHECK(back->ms.has_value() && std::isfinite(*back->ms));
  }
}

void check_audit_log(std::uint8_t selector, std::string_view text) {
  // What the reader must find: every non-empty line is an event or skipped.
  std::size_t events = 0;
  std::size_t skipped = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    if (line.size() > service::kMaxAuditLineBytes) {
      ++skipped;
      continue;
    }
    if (auto e = service::parse_audit_line(line)) {
      ++events;
      check_event(*e);
    } else {
      ++skipped;
    }
  }

  write_audit_file(text);
  service::AuditQuery q;
  q.newest_first = (selector & 2) != 0;
  if (selector & 4) {
    q.offset = 1;
    q.limit = 2;
  }
  const service::AuditPage page = service::read_audit_log(audit_file().path, q);
  VEIL_FUZZ_CHECK(page.matched == events);
  VEIL_FUZZ_CHECK(page.skipped == skipped);
  const std::size_t want =
      events > q.offset ? std::min<std::size_t>(q.limit, events - q.offset) : 0;
  VEIL_FUZZ_CHECK(page.events.size() == want);
}

Bytes with_selector(std::uint8_t sel, std::string_view text) {
  Bytes b(text.size() + 1);
  b[0] = sel;
  std::copy(text.begin(), text.end(), b.begin() + 1);
  return b;
}

service::TokenEntry entry(const char* name, service::Role role, const char* collection,
                          std::uint8_t fill, const char* created) {
  service::TokenEntry e;
  e.name = name;
  e.role = role;
  e.collection = collection;
  for (std::size_t i = 0; i < e.hash.size(); ++i) {
    e.hash[i] = static_cast<std::uint8_t>(fill + 7 * i);
  }
  e.created = created;
  return e;
}

service::AuditEvent event(const char* caller, std::string_view action, std::string_view outcome,
                          std::int64_t ms_since_epoch) {
  service::AuditEvent e;
  e.time = service::Clock::time_point(std::chrono::milliseconds(ms_since_epoch));
  e.caller = caller;
  e.role = "search";
  e.action = std::string(action);
  e.collection = "faces";
  e.outcome = std::string(outcome);
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) == 0) {
    check_token_file(text);
  } else {
    check_audit_log(data[0], text);
  }
  return 0;
}

namespace veil::fuzz {

std::vector<Bytes> seed_inputs() {
  std::vector<Bytes> seeds;
  // Token files: empty, one entry, several of every role.
  service::TokenFile f;
  for (std::size_t i = 0; i < f.key.size(); ++i) f.key[i] = static_cast<std::uint8_t>(i * 13);
  seeds.push_back(with_selector(0, service::serialize_token_file(f)));
  f.entries.push_back(
      entry("alice", service::Role::kSearch, "faces", 1, "2026-03-01T12:00:00.000Z"));
  seeds.push_back(with_selector(0, service::serialize_token_file(f)));
  f.entries.push_back(entry("bob", service::Role::kEnroll, "faces", 2, "2026-03-01T12:00:01.000Z"));
  f.entries.push_back(entry("root", service::Role::kAdmin, "*", 3, "2026-03-02T00:00:00.999Z"));
  f.entries.push_back(
      entry("srv \xc3\xa9", service::Role::kServer, "*", 4, "1999-12-31T23:59:59.000Z"));
  seeds.push_back(with_selector(0, service::serialize_token_file(f)));

  // Audit logs: a few whole lines, with optional fields, a torn last line.
  service::AuditEvent full = event("alice", service::audit_action::kSearch, "ok", 1772368496789);
  full.peer = "ipv4:127.0.0.1:5000";
  full.templates = 100000;
  full.k = 10;
  full.batch = 2;
  full.ms = 12.5;
  const std::string l1 = service::audit_line(full);
  const std::string l2 = service::audit_line(
      event("", service::audit_action::kAuthFailure, "UNAUTHENTICATED", 1772368497000));
  const std::string l3 = service::audit_line(
      event("bob", service::audit_action::kEnroll, "PERMISSION_DENIED", 1772368498001));
  for (std::uint8_t sel : {1, 3, 5, 7}) {
    seeds.push_back(with_selector(sel, l1 + "\n" + l2 + "\n" + l3 + "\n"));
  }
  seeds.push_back(with_selector(1, l1 + "\n\n" + l2 + "\n" + l3.substr(0, l3.size() / 2)));
  seeds.push_back(with_selector(3, l3));
  return seeds;
}

}  // namespace veil::fuzz
