#include "veil/io/file_io.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "veil/io/errors.h"
#include "veil/io/unique_fd.h"

namespace veil::io {
namespace {

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

// Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + string&&.
std::string quoted(const std::filesystem::path& p) {
  std::string s = "'";
  s += p.string();
  s += '\'';
  return s;
}

using Fd = io::UniqueFd;

int open_retry(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

int fsync_retry(int fd) {
  int rc;
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

void write_all(int fd, std::span<const std::uint8_t> bytes, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "write_file_atomic: cannot write " + quoted(path));
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string random_suffix() {
  if (sodium_init() < 0) throw std::runtime_error("write_file_atomic: libsodium failed");
  std::uint8_t r[8];
  randombytes_buf(r, sizeof r);
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t b : r) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                       std::optional<mode_t> mode) {
  if (!path.has_filename()) {
    throw std::system_error(std::make_error_code(std::errc::is_a_directory),
                            "write_file_atomic: " + quoted(path) + " names no file");
  }
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";

  // A fresh, unpredictable name beside the target (same file system, so the
  // rename is atomic); O_EXCL never reuses an existing file.
  std::filesystem::path tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    std::string name = ".";
    name += path.filename().string();
    name += ".tmp-";
    name += random_suffix();
    tmp = dir / name;
    // Created at most as permissive as requested; the umask can only remove bits.
    fd = open_retry(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    mode ? (*mode & 07777) : 0666);
    if (fd < 0 && (errno != EEXIST || attempt >= 16)) {
      throw_errno(errno, "write_file_atomic: cannot create a temporary file in " + quoted(dir));
    }
  }
  Fd file(fd);
  try {
    if (mode && ::fchmod(file.get(), *mode & 07777) != 0) {
      throw_errno(errno, "write_file_atomic: cannot set the mode of " + quoted(tmp));
    }
    write_all(file.get(), bytes, tmp);
    if (fsync_retry(file.get()) != 0) {
      throw_errno(errno, "write_file_atomic: cannot fsync " + quoted(tmp));
    }
    if (int err = file.close(); err != 0) {
      throw_errno(err, "write_file_atomic: cannot close " + quoted(tmp));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      throw_errno(errno, "write_file_atomic: cannot rename " + quoted(tmp) + " to " + quoted(path));
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  // The rename is durable only once the directory entry is.
  Fd d(open_retry(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0) throw_errno(errno, "write_file_atomic: cannot open directory " + quoted(dir));
  if (fsync_retry(d.get()) != 0) {
    throw_errno(errno, "write_file_atomic: cannot fsync directory " + quoted(dir));
  }
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path, std::uint64_t max_size) {
  // Opened non-blocking: a FIFO would otherwise block the open until a
  // writer came. FIFOs and sockets are refused; for anything else blocking
  // reads are restored.
  Fd file(open_retry(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (file.get() < 0) throw_errno(errno, "read_file: cannot open " + quoted(path));
  struct stat st;
  if (::fstat(file.get(), &st) != 0) throw_errno(errno, "read_file: cannot stat " + quoted(path));
  if (S_ISDIR(st.st_mode)) {
    throw_errno(EISDIR, "read_file: cannot read " + quoted(path));
  }
  if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
    std::string msg = "read_file: ";
    msg += quoted(path);
    msg += S_ISFIFO(st.st_mode) ? " is a FIFO (named pipe)" : " is a socket";
    msg += ", not a regular file";
    throw FormatError(msg);
  }
  const int flags = ::fcntl(file.get(), F_GETFL);
  if (flags < 0 || ::fcntl(file.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    throw_errno(errno, "read_file: cannot set blocking reads on " + quoted(path));
  }
  bool regular = S_ISREG(st.st_mode);
  if (regular && static_cast<std::uint64_t>(st.st_size) > max_size) {
    throw FormatError("read_file: " + quoted(path) + " is " + std::to_string(st.st_size) +
                      " bytes, expected at most " + std::to_string(max_size));
  }

  // Reserve the size fstat reported (already checked against the limit) and
  // append chunks as they come, refusing any chunk that would pass the limit:
  // a file that grew after fstat, or one without a size, is bounded too.
  std::vector<std::uint8_t> out;
  if (regular) out.reserve(static_cast<std::size_t>(st.st_size));
  std::uint8_t chunk[1 << 14];
  for (;;) {
    ssize_t n = ::read(file.get(), chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "read_file: cannot read " + quoted(path));
    }
    if (n == 0) break;
    if (static_cast<std::uint64_t>(n) > max_size - out.size()) {
      throw FormatError("read_file: " + quoted(path) + " has more than " +
                        std::to_string(max_size) + " bytes, expected at most " +
                        std::to_string(max_size));
    }
    out.insert(out.end(), chunk, chunk + n);
  }
  return out;
}

}  // namespace veil::io
