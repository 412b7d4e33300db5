// Every data-layer reader opens only regular files: a FIFO (which would block
// the open until a writer came), a directory or a device is an
// io::FormatError naming the path and what it is, found before opening.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <functional>
#include <string>
#include <vector>

#include "data/data_test_util.h"
#include "expect_error.h"
#include "veil/data/embeddings.h"
#include "veil/data/mnist.h"
#include "veil/data/npy.h"
#include "veil/data/text.h"
#include "veil/data/vecs.h"
#include "veil/io/errors.h"

using namespace veil::data;
using veil::io::FormatError;

namespace {

class FileKinds : public veil::test::TempDirTest {
 protected:
  // Every reader, on `path`.
  std::vector<std::pair<const char*, std::function<void()>>> readers(
      const std::filesystem::path& path) {
    std::vector<std::pair<const char*, std::function<void()>>> out = {
        {"read_npy", [=] { read_npy(path); }},
        {"read_npy_labels", [=] { read_npy_labels(path); }},
        {"read_npy_strings", [=] { read_npy_strings(path); }},
        {"read_fvecs", [=] { read_fvecs(path); }},
        {"read_bvecs", [=] { read_bvecs(path); }},
        {"read_ivecs", [=] { read_ivecs(path); }},
        {"read_csv", [=] { read_csv(path); }},
        {"read_labels_txt", [=] { read_labels_txt(path); }},
        {"read_mnist", [=] { read_mnist(path, path); }},
    };
    // read_embeddings dispatches on the extension first.
    if (format_from_extension(path))
      out.emplace_back("read_embeddings", [=] { read_embeddings(path); });
    return out;
  }
  void expect_refused(const std::filesystem::path& path, const char* kind) {
    for (auto& [name, read] : readers(path)) {
      SCOPED_TRACE(name);
      veil::test::expect_error<FormatError>(read, {path.c_str(), kind, "not a regular file"});
    }
  }
};

}  // namespace

TEST_F(FileKinds, FifoIsRefusedWithoutBlocking) {
  for (const char* name : {"probes.npy", "x.fvecs", "x.bvecs", "x.ivecs", "x.csv", "l.txt"}) {
    const std::filesystem::path p = dir_ / name;
    ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
    expect_refused(p, "is a FIFO (named pipe)");
  }
}

TEST_F(FileKinds, DirectoryIsRefused) {
  for (const char* name : {"gallery.npy", "x.fvecs", "x.csv", "labels.txt"}) {
    const std::filesystem::path p = dir_ / name;
    std::filesystem::create_directory(p);
    expect_refused(p, "is a directory");
  }
}

TEST_F(FileKinds, DeviceIsRefused) {
  // Through a link named like an embedding file: the link is followed.
  const std::filesystem::path p = dir_ / "null.npy";
  std::filesystem::create_symlink("/dev/null", p);
  expect_refused(p, "is a character device");
}

TEST_F(FileKinds, MissingFileIsAnOsError) {
  EXPECT_THROW(read_npy(dir_ / "none.npy"), std::system_error);
  EXPECT_THROW(read_labels_txt(dir_ / "none.txt"), std::system_error);
}

TEST_F(FileKinds, RegularFilesAndLinksToThemAreRead) {
  const auto p = write_text("ok.csv", "1,2\n3,4\n");
  const std::filesystem::path link = dir_ / "link.csv";
  std::filesystem::create_symlink(p, link);
  EXPECT_EQ(read_embeddings(link).matrix.rows, 2u);
}
