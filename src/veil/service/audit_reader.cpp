// The audit log's reader (audit_log.h): one pass, bounded memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <system_error>

#include "veil/io/unique_fd.h"
#include "veil/service/audit_log.h"

namespace veil::service {
namespace {

// Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + string&&.
std::string quoted(const std::filesystem::path& p) {
  std::string s = "'";
  s += p.string();
  s += '\'';
  return s;
}

bool matches(const AuditEvent& e, const AuditQuery& q) {
  if (q.collection && e.collection != *q.collection) return false;
  if (q.caller && e.caller != *q.caller) return false;
  if (q.action && e.action != *q.action) return false;
  if (q.outcome && e.outcome != *q.outcome) return false;
  if (q.since && e.time < *q.since) return false;
  if (q.until && !(e.time < *q.until)) return false;
  return true;
}

// Collects the window [offset, offset + limit) of the matching events.
class Window {
 public:
  explicit Window(const AuditQuery& q)
      : q_(q), keep_(q.limit > SIZE_MAX - q.offset ? SIZE_MAX : q.offset + q.limit) {}

  void add(AuditEvent&& e, AuditPage& page) {
    const std::size_t index = page.matched++;
    if (!q_.newest_first) {
      if (index >= q_.offset && index - q_.offset < q_.limit) page.events.push_back(std::move(e));
      return;
    }
    // Newest first: the last offset + limit matches, known only at the end.
    if (keep_ == 0) return;
    if (last_.size() == keep_) last_.pop_front();
    last_.push_back(std::move(e));
  }

  void finish(AuditPage& page) {
    if (!q_.newest_first) return;
    std::size_t skip = q_.offset;
    for (auto it = last_.rbegin(); it != last_.rend() && page.events.size() < q_.limit; ++it) {
      if (skip > 0) {
        --skip;
        continue;
      }
      page.events.push_back(std::move(*it));
    }
  }

 private:
  const AuditQuery& q_;
  std::size_t keep_;
  std::deque<AuditEvent> last_;
};

}  // namespace

AuditPage read_audit_log(const std::filesystem::path& path, const AuditQuery& query) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(), "audit: cannot open " + quoted(path));
  }
  io::UniqueFd file(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "audit: " + quoted(path) + " is not a regular file");
  }

  AuditPage page;
  Window window(query);
  std::string line;
  bool overlong = false;
  auto end_line = [&] {
    if (overlong) {
      ++page.skipped;
    } else if (!line.empty()) {
      if (auto e = parse_audit_line(line)) {
        if (matches(*e, query)) window.add(std::move(*e), page);
      } else {
        ++page.skipped;
      }
    }
    line.clear();
    overlong = false;
  };

  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "audit: cannot read " + quoted(path));
    }
    if (n == 0) break;
    const char* p = chunk;
    const char* const end = chunk + n;
    while (p < end) {
      const char* nl = std::find(p, end, '\n');
      if (!overlong) {
        const std::size_t len = static_cast<std::size_t>(nl - p);
        if (line.size() + len > kMaxAuditLineBytes) {
          overlong = true;
          line.clear();
        } else {
          line.append(p, len);
        }
      }
      if (nl == end) break;
      end_line();
      p = nl + 1;
    }
  }
  end_line();  // a last line without its newline: torn unless it parses
  window.finish(page);
  return page;
}

}  // namespace veil::service
