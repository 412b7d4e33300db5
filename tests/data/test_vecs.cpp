#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "data/data_test_util.h"
#include "expect_error.h"
#include "veil/data/embeddings.h"
#include "veil/data/vecs.h"
#include "veil/io/errors.h"

using namespace veil::data;
using veil::io::FormatError;
using veil::test::append_le;
using veil::test::Bytes;

namespace {

template <class F>
void expect_error(F f, std::initializer_list<const char*> fragments) {
  veil::test::expect_error<FormatError>(f, fragments);
}

Matrix bytes_matrix(std::size_t rows, std::size_t cols) {
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  for (std::size_t i = 0; i < rows * cols; ++i)
    m.values.push_back(static_cast<float>((i * 7) % 256));
  return m;
}

class Vecs : public veil::test::TempDirTest {};

}  // namespace

TEST_F(Vecs, RoundTrips) {
  Matrix m = bytes_matrix(5, 3);
  m.values[4] = -1.5f;
  Matrix f = parse_fvecs(encode_fvecs(m));
  EXPECT_EQ(f.rows, 5u);
  EXPECT_EQ(f.cols, 3u);
  EXPECT_EQ(f.values, m.values);

  Matrix b = bytes_matrix(4, 9);
  EXPECT_EQ(parse_bvecs(encode_bvecs(b)).values, b.values);
  EXPECT_THROW(encode_bvecs(m), std::invalid_argument);

  IntMatrix im;
  im.rows = 2;
  im.cols = 2;
  im.values = {1, -2, 3, 1 << 30};
  IntMatrix ib = parse_ivecs(encode_ivecs(im));
  EXPECT_EQ(ib.values, im.values);
  EXPECT_EQ(ib.row(1)[1], 1 << 30);

  EXPECT_EQ(parse_fvecs({}).rows, 0u);
}

TEST_F(Vecs, FilesAndPrefixes) {
  Matrix m = bytes_matrix(50, 8);
  auto fp = dir_ / "a.fvecs";
  write_fvecs(fp, m);
  EXPECT_EQ(read_fvecs(fp).values, m.values);
  Matrix head = read_fvecs(fp, 7);
  EXPECT_EQ(head.rows, 7u);
  EXPECT_EQ(head.values, std::vector<float>(m.values.begin(), m.values.begin() + 56));
  auto bp = write("a.bvecs", encode_bvecs(m));
  EXPECT_EQ(read_bvecs(bp, 1000).values, m.values);
  // A prefix read needs only the prefix's bytes under the limit.
  expect_error([&] { read_bvecs(bp, kAllRows, 100); }, {"a.bvecs", "limit of 100"});
  EXPECT_EQ(read_bvecs(bp, 3, 100).rows, 3u);
  EXPECT_EQ(read_bvecs(bp, 0).rows, 0u);
  EXPECT_EQ(read_embeddings(bp, {.max_rows = 2}).matrix.rows, 2u);
  EXPECT_EQ(read_embeddings(fp).matrix.values, m.values);
}

TEST_F(Vecs, RejectsInconsistentAndTruncatedRows) {
  Bytes b = encode_fvecs(bytes_matrix(4, 3));
  // Row 2 claims dimension 4: same total size is impossible, the row is named.
  Bytes bad_dim = b;
  bad_dim[2 * 16] = 4;
  expect_error([&] { parse_fvecs(bad_dim, "x.fvecs"); },
               {"x.fvecs", "row 2", "dimension 4, expected 3"});
  // Truncated last row.
  Bytes cut(b.begin(), b.end() - 2);
  expect_error([&] { parse_fvecs(cut, "c.fvecs"); }, {"c.fvecs", "row 3", "truncated", "14 left"});
  auto cp = write("c.fvecs", cut);
  expect_error([&] { read_fvecs(cp); }, {"c.fvecs", "not a whole number"});
  expect_error([&] { read_fvecs(cp, 2); }, {"c.fvecs", "not a whole number"});
  // Non-positive and absurd dimensions: no allocation from them.
  Bytes neg;
  append_le<std::int32_t>(neg, -5);
  expect_error([&] { parse_ivecs(neg); }, {"row 0", "dimension -5 must be positive"});
  Bytes huge;
  append_le<std::int32_t>(huge, 0x7fffffff);
  append_le<float>(huge, 1.0f);
  expect_error([&] { parse_fvecs(huge); }, {"row 0", "truncated"});
  expect_error([&] { parse_fvecs(Bytes{1, 0}); }, {"row 0", "truncated"});
  // Non-finite floats.
  Matrix m = bytes_matrix(2, 2);
  m.values[3] = std::numeric_limits<float>::infinity();
  expect_error([&] { parse_fvecs(encode_fvecs(m)); }, {"row 1, column 1", "finite"});
}

TEST_F(Vecs, UnknownExtension) {
  auto p = write_text("x.txt", "1,2\n");
  expect_error([&] { read_embeddings(p); }, {"x.txt", "unknown embedding file extension"});
}
