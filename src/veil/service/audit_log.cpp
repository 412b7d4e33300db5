// The audit log's writer (audit_log.h).
#include "veil/service/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace veil::service {
namespace fs = std::filesystem;

namespace {

// Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + string&&.
std::string quoted(const fs::path& p) {
  std::string s = "'";
  s += p.string();
  s += '\'';
  return s;
}

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

int open_retry(const char* path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

int fdatasync_retry(int fd) {
  int rc;
  do {
    rc = ::fdatasync(fd);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

}  // namespace

AuditLog::AuditLog(fs::path path, AuditSync sync) : path_(std::move(path)), sync_(sync) {
  // O_RDWR (not O_WRONLY) to read the last byte back; every write appends.
  const int flags = O_RDWR | O_APPEND | O_CLOEXEC;
  bool created = true;
  int fd = open_retry(path_.c_str(), flags | O_CREAT | O_EXCL, 0600);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = open_retry(path_.c_str(), flags | O_NONBLOCK, 0);
  }
  if (fd < 0) throw_errno(errno, "audit: cannot open " + quoted(path_));
  fd_ = io::UniqueFd(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) throw_errno(errno, "audit: cannot stat " + quoted(path_));
  if (!S_ISREG(st.st_mode)) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "audit: " + quoted(path_) + " is not a regular file");
  }
  if (!created && ::fcntl(fd, F_SETFL, O_APPEND) != 0) {
    throw_errno(errno, "audit: cannot set blocking writes on " + quoted(path_));
  }
  if (st.st_size > 0) {
    char last = '\n';
    if (::pread(fd, &last, 1, st.st_size - 1) != 1) {
      throw_errno(errno, "audit: cannot read the end of " + quoted(path_));
    }
    torn_ = last != '\n';  // a crash cut the last line: end it before the next
  }
  if (created) {
    // The new file's directory entry must survive a crash too.
    fs::path dir = path_.parent_path();
    if (dir.empty()) dir = ".";
    io::UniqueFd d(open_retry(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0));
    if (d.get() < 0 || ::fsync(d.get()) != 0) {
      throw_errno(errno, "audit: cannot fsync directory " + quoted(dir));
    }
  }
}

AuditLog::~AuditLog() {
  std::lock_guard guard(mu_);
  if (unsynced_) fdatasync_retry(fd_.get());
}

void AuditLog::append(const AuditEvent& event) {
  std::string line;
  if (event.time == Clock::time_point{}) {
    AuditEvent stamped = event;
    stamped.time = Clock::now();
    line = audit_line(stamped);
  } else {
    line = audit_line(event);
  }
  line += '\n';

  std::lock_guard guard(mu_);
  if (torn_) line.insert(line.begin(), '\n');
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_.get(), line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      torn_ = torn_ || done > 0;
      throw_errno(err, "audit: cannot write " + quoted(path_));
    }
    done += static_cast<std::size_t>(n);
  }
  torn_ = false;
  if (sync_ == AuditSync::kEveryLine) {
    if (fdatasync_retry(fd_.get()) != 0) throw_errno(errno, "audit: cannot fsync " + quoted(path_));
  } else {
    unsynced_ = true;
  }
}

void AuditLog::flush() {
  std::lock_guard guard(mu_);
  if (fdatasync_retry(fd_.get()) != 0) throw_errno(errno, "audit: cannot fsync " + quoted(path_));
  unsynced_ = false;
}

}  // namespace veil::service
