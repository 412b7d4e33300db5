#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "veil/io/errors.h"
#include "veil/io/file_io.h"

using namespace veil::io;
namespace fs = std::filesystem;

namespace {

class FileIo : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "veil-io-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  static mode_t mode_of(const fs::path& p) {
    struct stat st;
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  }

  fs::path dir_;
};

// Sets the umask for one scope (tests run on one thread).
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t m) : old_(::umask(m)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

const std::vector<std::uint8_t> kData = {'h', 'e', 'l', 'l', 'o', 0, 0xff};

}  // namespace

TEST_F(FileIo, WritesAndReadsBack) {
  auto p = dir_ / "object.veil";
  write_file_atomic(p, kData);
  EXPECT_EQ(read_file(p, 1 << 20), kData);
  EXPECT_EQ(entries(), std::vector<std::string>({"object.veil"}));  // no temp file left
}

TEST_F(FileIo, ModeIsAppliedExactly) {
  auto p = dir_ / "secret.key";
  write_file_atomic(p, kData, 0600);
  EXPECT_EQ(mode_of(p), 0600u);
  EXPECT_EQ(read_file(p, kData.size()), kData);
  EXPECT_EQ(entries(), std::vector<std::string>({"secret.key"}));
  {
    // An explicit mode wins over the umask.
    ScopedUmask u(077);
    write_file_atomic(p, kData, 0644);
  }
  EXPECT_EQ(mode_of(p), 0644u);
}

TEST_F(FileIo, DefaultModeFollowsTheUmask) {
  ScopedUmask u(027);
  auto p = dir_ / "public.key";
  write_file_atomic(p, kData);
  EXPECT_EQ(mode_of(p), 0640u);
}

TEST_F(FileIo, ReplacesAnExistingFileWhole) {
  auto p = dir_ / "gallery.bin";
  write_file_atomic(p, std::vector<std::uint8_t>(10000, 1), 0600);
  write_file_atomic(p, kData, 0600);
  EXPECT_EQ(read_file(p, 1 << 20), kData);
  write_file_atomic(p, {});
  EXPECT_TRUE(read_file(p, 0).empty());
  EXPECT_EQ(entries(), std::vector<std::string>({"gallery.bin"}));
}

TEST_F(FileIo, LargeFileRoundTrip) {
  std::vector<std::uint8_t> big(3 << 20);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 131 + 7);
  auto p = dir_ / "big";
  write_file_atomic(p, big);
  EXPECT_EQ(read_file(p, big.size()), big);
  EXPECT_THROW(read_file(p, big.size() - 1), FormatError);
}

TEST_F(FileIo, RelativePathUsesTheWorkingDirectory) {
  auto old = fs::current_path();
  fs::current_path(dir_);
  write_file_atomic("plain", kData);
  fs::current_path(old);
  EXPECT_EQ(read_file(dir_ / "plain", 100), kData);
  EXPECT_EQ(entries(), std::vector<std::string>({"plain"}));
}

TEST_F(FileIo, FailureLeavesNoTemporaryFile) {
  // The target is a non-empty directory: the rename fails after the write.
  fs::create_directory(dir_ / "taken");
  std::ofstream(dir_ / "taken" / "inside") << "x";
  EXPECT_THROW(write_file_atomic(dir_ / "taken", kData), std::system_error);
  EXPECT_EQ(entries(), std::vector<std::string>({"taken"}));
  // The directory does not exist: nothing can be created.
  try {
    write_file_atomic(dir_ / "missing" / "f", kData);
    ADD_FAILURE() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  EXPECT_THROW(write_file_atomic(dir_ / "", kData), std::system_error);
}

TEST_F(FileIo, MissingFileIsAClearError) {
  auto p = dir_ / "nope.veil";
  try {
    read_file(p, 100);
    ADD_FAILURE() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    std::string msg = e.what();
    EXPECT_NE(msg.find("read_file: cannot open '" + p.string() + "'"), std::string::npos) << msg;
  }
}

TEST_F(FileIo, OversizedFileIsRefusedBeforeReading) {
  auto p = dir_ / "big.veil";
  write_file_atomic(p, kData);
  EXPECT_EQ(read_file(p, kData.size()).size(), kData.size());
  try {
    read_file(p, kData.size() - 1);
    ADD_FAILURE() << "no error";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()),
              "read_file: '" + p.string() + "' is 7 bytes, expected at most 6");
  }
  EXPECT_THROW(read_file(p, 0), FormatError);
}

TEST_F(FileIo, DirectoriesAndEndlessStreamsAreRefused) {
  try {
    read_file(dir_, 100);
    ADD_FAILURE() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::is_a_directory);
  }
  // /dev/zero has no size and never ends: the limit still applies.
  EXPECT_THROW(read_file("/dev/zero", 100000), FormatError);
}

TEST_F(FileIo, FifoIsRefusedWithoutBlocking) {
  // No writer ever opens it: a blocking open would wait forever.
  const std::filesystem::path fifo = dir_ / "keys.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  try {
    read_file(fifo, 100);
    ADD_FAILURE() << "no error";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("is a FIFO (named pipe), not a regular file"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("keys.fifo"), std::string::npos) << e.what();
  }
}

TEST_F(FileIo, OsFailuresAreSystemErrors) {
  // Mode 0 is applied exactly (root could still read it, so the OS error is
  // provoked with a directory instead, which fails for every user).
  auto p = dir_ / "locked";
  write_file_atomic(p, kData, 0);
  EXPECT_EQ(mode_of(p), 0u);
  try {
    read_file(dir_, 100);
    ADD_FAILURE() << "reading a directory must fail";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir_.string()), std::string::npos) << e.what();
  } catch (const FormatError& e) {
    ADD_FAILURE() << "an OS failure is not a format error: " << e.what();
  }
}
