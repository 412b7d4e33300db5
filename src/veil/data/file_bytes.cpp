#include "veil/data/file_bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "veil/io/errors.h"
#include "veil/io/unique_fd.h"

namespace veil::data::detail {
namespace {

using Fd = io::UniqueFd;

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + quoted(path));
}

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

[[noreturn]] void not_regular(const std::filesystem::path& path, mode_t mode) {
  std::string msg = quoted(path);
  msg += " is ";
  msg += kind_of(mode);
  msg += ", not a regular file";
  throw io::FormatError(msg);
}

// Opens a regular file for reading. The type is checked with stat before
// opening (opening a FIFO blocks until a writer comes, a directory opens
// and fails only at the first read), and again on the descriptor: the open
// is non-blocking, so a FIFO swapped in meanwhile is refused, not waited on.
int open_read(const std::filesystem::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) fail("cannot open", path);
  if (!S_ISREG(st.st_mode)) not_regular(path, st.st_mode);
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) fail("cannot open", path);
  return fd;
}

std::uint64_t size_of(int fd, const std::filesystem::path& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) fail("cannot stat", path);
  if (!S_ISREG(st.st_mode)) not_regular(path, st.st_mode);
  return static_cast<std::uint64_t>(st.st_size);
}

std::vector<std::uint8_t> read_n(int fd, std::uint64_t n, const std::filesystem::path& path) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(n));
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t r = ::read(fd, out.data() + done, out.size() - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      fail("cannot read", path);
    }
    if (r == 0) {
      throw io::FormatError(quoted(path) + ": file shrank while being read: expected " +
                            std::to_string(n) + " bytes, got " + std::to_string(done));
    }
    done += static_cast<std::size_t>(r);
  }
  return out;
}

}  // namespace

std::string quoted(const std::filesystem::path& path) {
  std::string s = "'";
  s += path.string();
  s += '\'';
  return s;
}

void fail(std::string_view source, const std::string& what) {
  std::string msg(source);
  msg += ": ";
  msg += what;
  throw io::FormatError(msg);
}

std::uint32_t load_u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::uint64_t load_u64(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(load_u32(p)) | static_cast<std::uint64_t>(load_u32(p + 4))
                                                       << 32;
}

std::uint64_t file_size(const std::filesystem::path& path) {
  Fd fd(open_read(path));
  return size_of(fd.get(), path);
}

std::vector<std::uint8_t> read_prefix(const std::filesystem::path& path, std::uint64_t max_bytes) {
  Fd fd(open_read(path));
  std::uint64_t size = size_of(fd.get(), path);
  return read_n(fd.get(), size < max_bytes ? size : max_bytes, path);
}

std::vector<std::uint8_t> read_whole(const std::filesystem::path& path, std::uint64_t max_bytes) {
  Fd fd(open_read(path));
  std::uint64_t size = size_of(fd.get(), path);
  if (size > max_bytes) {
    throw io::FormatError(quoted(path) + ": file is " + std::to_string(size) +
                          " bytes, more than the limit of " + std::to_string(max_bytes) +
                          " (read fewer rows with max_rows, or raise max_file_bytes)");
  }
  return read_n(fd.get(), size, path);
}

}  // namespace veil::data::detail
