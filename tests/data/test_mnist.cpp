// MNIST idx reader: generated files (raw and gzip), malformed ones, and the
// real MNIST from the shared data sets when present.
#include <gtest/gtest.h>

#include "data_test_util.h"
#include "datasets.h"
#include "expect_error.h"
#include "veil/data/mnist.h"
#include "veil/io/errors.h"

using namespace veil::data;
using veil::io::FormatError;
using veil::test::Bytes;
using veil::test::expect_error;

namespace {

// count images of 2 x 3 pixels, pixel value = 7 * image + position, label = image % 10.
ImageSet tiny(std::size_t count) {
  ImageSet s;
  s.count = count;
  s.rows = 2;
  s.cols = 3;
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t p = 0; p < 6; ++p) s.pixels.push_back(static_cast<std::uint8_t>(7 * i + p));
    s.labels.push_back(static_cast<std::uint8_t>(i % 10));
  }
  return s;
}

void expect_same(const ImageSet& a, const ImageSet& b) {
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_EQ(a.labels, b.labels);
}

Bytes gz(const Bytes& b) { return gzip_bytes(b); }

class Mnist : public veil::test::TempDirTest {};

}  // namespace

TEST_F(Mnist, RawAndGzipFilesRoundTrip) {
  ImageSet s = tiny(5);
  Bytes im = encode_idx_images(s), lb = encode_idx_labels(s);
  // The header is big-endian: magic 2051, count 5, rows 2, cols 3.
  EXPECT_EQ(Bytes(im.begin(), im.begin() + 16),
            (Bytes{0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 3}));
  EXPECT_EQ(Bytes(lb.begin(), lb.begin() + 8), (Bytes{0, 0, 8, 1, 0, 0, 0, 5}));
  expect_same(read_mnist(write("i", im), write("l", lb)), s);
  expect_same(read_mnist(write("i.gz", gz(im)), write("l.gz", gz(lb))), s);
  // Mixed: gzip is recognised by content, not by name.
  expect_same(read_mnist(write("i.raw", gz(im)), write("l.bin", lb)), s);
}

TEST_F(Mnist, MaxItemsKeepsAPrefixButChecksTheWholeFile) {
  ImageSet s = tiny(5);
  ImageSet head = parse_mnist(encode_idx_images(s), encode_idx_labels(s), "i", "l", 2);
  EXPECT_EQ(head.count, 2u);
  EXPECT_EQ(head.pixels, Bytes(s.pixels.begin(), s.pixels.begin() + 12));
  EXPECT_EQ(head.labels, (Bytes{0, 1}));
  EXPECT_EQ(parse_mnist(encode_idx_images(s), encode_idx_labels(s), "i", "l", 0).count, 0u);
  // A truncated tail is still found with max_items.
  Bytes cut = encode_idx_images(s);
  cut.pop_back();
  expect_error<FormatError>([&] { parse_mnist(gz(cut), encode_idx_labels(s), "i", "l", 1); },
                            {"i: truncated", "5 x 2 x 3", "implies 30 data bytes", "has 29"});
}

TEST_F(Mnist, ConcatenatedGzipMembersAreOneStream) {
  ImageSet s = tiny(4);
  Bytes im = encode_idx_images(s);
  Bytes a(im.begin(), im.begin() + 10), b(im.begin() + 10, im.end());
  Bytes two = gz(a);
  Bytes gb = gz(b);
  two.insert(two.end(), gb.begin(), gb.end());
  expect_same(parse_mnist(two, gz(encode_idx_labels(s))), s);
}

TEST_F(Mnist, WrongMagicNamesBothFileKinds) {
  ImageSet s = tiny(2);
  Bytes im = encode_idx_images(s), lb = encode_idx_labels(s);
  // Swapped files.
  expect_error<FormatError>([&] { parse_mnist(lb, im, "imgs", "labs"); },
                            {"imgs: magic number 2049, expected 2051", "label file"});
  Bytes bad = im;
  bad[3] = 0x04;  // 2052
  expect_error<FormatError>([&] { parse_idx_images(bad, "x"); },
                            {"x: magic number 2052, expected 2051 (idx3 images)"});
  Bytes badl = lb;
  badl[2] = 0x09;  // 2305
  expect_error<FormatError>([&] { parse_idx_labels(badl, "y"); },
                            {"y: magic number 2305, expected 2049 (idx1 labels)"});
}

TEST_F(Mnist, TruncatedAndOverlongFilesAreRefused) {
  ImageSet s = tiny(3);
  Bytes im = encode_idx_images(s), lb = encode_idx_labels(s);
  for (bool zip : {false, true}) {
    auto enc = [&](const Bytes& b) { return zip ? gz(b) : b; };
    Bytes short_im(im.begin(), im.end() - 1);
    expect_error<FormatError>([&] { parse_idx_images(enc(short_im), "i"); }, {"i: truncated"});
    Bytes long_im = im;
    long_im.push_back(0);
    expect_error<FormatError>([&] { parse_idx_images(enc(long_im), "i"); },
                              {"i: trailing bytes", "3 x 2 x 3"});
    Bytes short_lb(lb.begin(), lb.end() - 1);
    expect_error<FormatError>([&] { parse_idx_labels(enc(short_lb), "l"); }, {"l: truncated"});
    Bytes header(im.begin(), im.begin() + 10);
    expect_error<FormatError>([&] { parse_idx_images(enc(header), "i"); },
                              {"truncated idx3 images header: needs 16 bytes, got 10"});
  }
  expect_error<FormatError>([&] { parse_idx_labels(Bytes{}, "empty"); },
                            {"empty: truncated idx1 labels header: needs 8 bytes, got 0"});
}

TEST_F(Mnist, CorruptGzipIsAFormatError) {
  ImageSet s = tiny(50);
  Bytes z = gz(encode_idx_images(s));
  // A truncated compressed stream.
  Bytes cut(z.begin(), z.begin() + static_cast<std::ptrdiff_t>(z.size() / 2));
  expect_error<FormatError>([&] { parse_idx_images(cut, "c.gz"); }, {"c.gz: "});
  // A damaged CRC (last 8 bytes: CRC32, ISIZE).
  Bytes crc = z;
  crc[crc.size() - 6] ^= 0xff;
  expect_error<FormatError>([&] { parse_idx_images(crc, "c.gz"); }, {"c.gz: gzip: corrupt"});
  // Garbage after the member is not a gzip member.
  Bytes tail = z;
  tail.push_back(0);
  tail.push_back(0);
  expect_error<FormatError>([&] { parse_idx_images(tail, "c.gz"); }, {"c.gz: gzip"});
}

TEST_F(Mnist, MismatchedCountsAreRefused) {
  ImageSet s = tiny(4);
  ImageSet t = tiny(3);
  expect_error<FormatError>(
      [&] { parse_mnist(encode_idx_images(s), encode_idx_labels(t), "imgs", "labs"); },
      {"labs: label count 3 differs from the image count 4 of imgs"});
  expect_error<FormatError>(
      [&] { read_mnist(write("i", encode_idx_images(s)), write("l", encode_idx_labels(t)), 2); },
      {"label count 3 differs from the image count 4"});
}

TEST_F(Mnist, HeaderClaimsAreBoundedBeforeDecoding) {
  // A header claiming 2^32-1 images of 65535 x 65535 overflows nothing but
  // is far beyond the limit: refused from the header alone.
  Bytes huge = {0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff};
  expect_error<FormatError>([&] { parse_idx_images(gz(huge), "h"); },
                            {"h: header (count 4294967295 x 65535 x 65535) implies", "limit"});
  // Within a small limit: the header's claim is refused, whatever follows.
  ImageSet s = tiny(10);
  expect_error<FormatError>([&] { parse_idx_images(gz(encode_idx_images(s)), "s", kAllRows, 50); },
                            {"implies 76 decoded bytes, more than the limit of 50"});
  // Zero rows or columns.
  Bytes zero = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3};
  expect_error<FormatError>([&] { parse_idx_images(zero, "z"); },
                            {"z: image size 0 x 3: rows and cols must be positive"});
  // A gzip stream that lies about its count (says 1,000,000 images, holds 2)
  // is refused as truncated without allocating for the claim.
  Bytes liar = encode_idx_images(tiny(2));
  liar[5] = 0x0f;
  liar[6] = 0x42;
  liar[7] = 0x40;  // count = 1,000,000
  expect_error<FormatError>([&] { parse_idx_images(gz(liar), "liar"); },
                            {"liar: truncated", "6000000 data bytes", "has 12"});
}

TEST_F(Mnist, MissingFileIsASystemError) {
  EXPECT_THROW(read_mnist(dir_ / "nope-images", dir_ / "nope-labels"), std::system_error);
}

TEST(RealMnist, T10kWhenPresent) {
  auto root = veil::test::datasets_dir();
  if (!root || !std::filesystem::exists(*root / "mnist/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "shared MNIST absent";
  }
  ImageSet s = read_mnist(*root / "mnist/t10k-images-idx3-ubyte.gz",
                          *root / "mnist/t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(s.count, 10000u);
  EXPECT_EQ(s.rows, 28u);
  EXPECT_EQ(s.cols, 28u);
  ASSERT_EQ(s.labels.size(), 10000u);
  ASSERT_EQ(s.pixels.size(), 10000u * 784);
  EXPECT_EQ(s.labels[0], 7);  // the first t10k digit is a 7
  EXPECT_EQ(s.labels[1], 2);
  for (auto l : s.labels) ASSERT_LE(l, 9);
  ImageSet head = read_mnist(*root / "mnist/t10k-images-idx3-ubyte.gz",
                             *root / "mnist/t10k-labels-idx1-ubyte.gz", 3);
  EXPECT_EQ(head.count, 3u);
  EXPECT_TRUE(std::equal(head.pixels.begin(), head.pixels.end(), s.pixels.begin()));
}
