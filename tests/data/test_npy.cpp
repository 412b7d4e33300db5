#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "data/data_test_util.h"
#include "expect_error.h"
#include "veil/data/npy.h"
#include "veil/io/errors.h"

using namespace veil::data;
using veil::io::FormatError;
using veil::test::Bytes;
using veil::test::le_array;
using veil::test::make_npy;

namespace {

Matrix sample(std::size_t rows, std::size_t cols) {
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  for (std::size_t i = 0; i < rows * cols; ++i)
    m.values.push_back(0.25f * static_cast<float>(i) - 3);
  return m;
}

template <class F>
void expect_error(F f, std::initializer_list<const char*> fragments) {
  veil::test::expect_error<FormatError>(f, fragments);
}

class Npy : public veil::test::TempDirTest {};

}  // namespace

TEST_F(Npy, EncodeParseRoundTrip) {
  for (auto [r, c] : {std::pair{0, 4}, {1, 1}, {3, 5}, {17, 64}}) {
    Matrix m = sample(r, c);
    Bytes b = encode_npy(m);
    NpyHeader h = parse_npy_header(b, "x");
    EXPECT_EQ(h.data_offset % 64, 0u);
    EXPECT_EQ(h.descr, "<f4");
    Matrix back = parse_npy(b);
    EXPECT_EQ(back.rows, m.rows);
    EXPECT_EQ(back.cols, m.cols);
    EXPECT_EQ(back.values, m.values);
  }
}

TEST_F(Npy, WriteReadFileAndMaxRows) {
  Matrix m = sample(10, 7);
  auto p = dir_ / "m.npy";
  write_npy(p, m);
  Matrix all = read_npy(p);
  EXPECT_EQ(all.values, m.values);
  Matrix three = read_npy(p, 3);
  ASSERT_EQ(three.rows, 3u);
  EXPECT_EQ(three.cols, 7u);
  EXPECT_EQ(std::vector<float>(three.values),
            std::vector<float>(m.values.begin(), m.values.begin() + 21));
  EXPECT_EQ(three.row(2)[6], m.row(2)[6]);
}

TEST_F(Npy, VersionsDtypesAndShapes) {
  // Version 2 and 3 headers, float64 converted, Python-2 style "L" dims.
  std::vector<double> d = {1.5, -2.25, 3e10, 0};
  for (int v : {1, 2, 3}) {
    Bytes b =
        make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 2L)}", le_array(d), v);
    Matrix m = parse_npy(b);
    ASSERT_EQ(m.rows, 2u);
    ASSERT_EQ(m.cols, 2u);
    EXPECT_EQ(m.values[0], 1.5f);
    EXPECT_EQ(m.values[2], 3e10f);
  }
  // 1-D is a column; uint8 converted; double quotes and key order do not matter.
  Bytes u =
      make_npy("{\"shape\": (3,), \"fortran_order\": False, \"descr\": \"|u1\"}", {0, 7, 255});
  Matrix m = parse_npy(u);
  EXPECT_EQ(m.rows, 3u);
  EXPECT_EQ(m.cols, 1u);
  EXPECT_EQ(m.values, (std::vector<float>{0, 7, 255}));
  // A 1-D array in Fortran order has the same layout: accepted.
  EXPECT_NO_THROW(parse_npy(make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,)}",
                                     le_array(std::vector<float>{1}))));
}

TEST_F(Npy, Labels) {
  Bytes i4 = make_npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }",
                      le_array(std::vector<std::int32_t>{5, -1, 9}));
  EXPECT_EQ(parse_npy_labels(i4), (std::vector<std::int64_t>{5, -1, 9}));
  Bytes i8 = make_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 1), }",
                      le_array(std::vector<std::int64_t>{1ll << 40, 3}));
  EXPECT_EQ(parse_npy_labels(i8), (std::vector<std::int64_t>{1ll << 40, 3}));
  Bytes u1 = make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", {200, 1});
  EXPECT_EQ(parse_npy_labels(u1), (std::vector<std::int64_t>{200, 1}));
  expect_error([&] { parse_npy_labels(encode_npy(sample(2, 2))); }, {"labels must have shape"});
  expect_error([&] { parse_npy_labels(encode_npy(sample(2, 1))); }, {"not a label type"});
  expect_error([&] { parse_npy(i4); }, {"not an embedding type"});
}

TEST_F(Npy, StringLabels) {
  // "ab", "é" and the 4-byte U+1F600, width 3.
  std::vector<std::uint32_t> chars = {'a', 'b', 0, 0xE9, 0, 0, 0x1F600, 'x', 'y'};
  Bytes b = make_npy("{'descr': '<U3', 'fortran_order': False, 'shape': (3,), }", le_array(chars));
  std::vector<std::string> s = parse_npy_strings(b);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], "ab");
  EXPECT_EQ(s[1], "\xC3\xA9");
  EXPECT_EQ(s[2], "\xF0\x9F\x98\x80xy");
  chars[0] = 0xD800;  // a lone surrogate
  expect_error(
      [&] {
        parse_npy_strings(
            make_npy("{'descr': '<U3', 'fortran_order': False, 'shape': (3,), }", le_array(chars)),
            "s.npy");
      },
      {"s.npy", "row 0", "invalid character"});
}

TEST_F(Npy, RejectsMalformedHeaders) {
  Bytes good = encode_npy(sample(2, 3));
  Bytes bad_magic = good;
  bad_magic[1] = 'X';
  expect_error([&] { parse_npy(bad_magic, "f.npy"); }, {"f.npy", "bad magic"});
  Bytes bad_version = good;
  bad_version[6] = 4;
  expect_error([&] { parse_npy(bad_version); }, {"version 4.0"});
  expect_error([&] { parse_npy(Bytes(good.begin(), good.begin() + 30)); }, {"truncated"});
  expect_error([&] { parse_npy(Bytes(good.begin(), good.begin() + 5)); }, {"truncated"});
  auto hdr = [](const std::string& dict) { return make_npy(dict, Bytes(24)); };
  expect_error(
      [&] { parse_npy(hdr("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }")); },
      {"Fortran"});
  expect_error(
      [&] { parse_npy(hdr("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }")); },
      {"big-endian", "'>f4'"});
  expect_error([&] { parse_npy(hdr("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }")); },
               {"unsupported dtype '<c8'"});
  expect_error(
      [&] { parse_npy(hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }")); },
      {"3 dimensions"});
  expect_error([&] { parse_npy(hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (), }")); },
               {"0 dimensions"});
  expect_error([&] { parse_npy(hdr("{'descr': '<f4', 'shape': (2, 3), }")); },
               {"'fortran_order' missing"});
  expect_error([&] { parse_npy(hdr("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }")); },
               {"True or False"});
  expect_error(
      [&] {
        parse_npy(hdr("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}"));
      },
      {"duplicate key"});
  expect_error(
      [&] { parse_npy(hdr("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}")); },
      {"structured"});
  expect_error(
      [&] { parse_npy(hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}")); },
      {"unexpected key 'x'"});
  expect_error(
      [&] { parse_npy(hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk")); },
      {"after the header"});
  expect_error(
      [&] {
        parse_npy(
            hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}"));
      },
      {"overflows"});
  // A header length pointing past the end.
  Bytes long_len = good;
  long_len[8] = 0xFF;
  long_len[9] = 0xFF;
  expect_error([&] { parse_npy(long_len); }, {"header length 65535"});
}

TEST_F(Npy, ShapeMustMatchDataSize) {
  // A huge shape with little data: refused before any allocation.
  expect_error(
      [&] {
        parse_npy(
            make_npy(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }",
                Bytes(8)),
            "big.npy");
      },
      {"big.npy", "truncated", "needs 4000000000000000000 data bytes, the file has 8"});
  expect_error(
      [&] {
        parse_npy(make_npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 8), }",
            Bytes(8)));
      },
      {"overflow"});
  Bytes good = encode_npy(sample(2, 3));
  Bytes trailing = good;
  trailing.push_back(0);
  expect_error([&] { parse_npy(trailing); }, {"trailing bytes"});
  Bytes truncated(good.begin(), good.end() - 1);
  expect_error([&] { parse_npy(truncated); }, {"truncated", "needs 24"});
  // The same checks when reading a file, also with max_rows.
  auto p = write("t.npy", truncated);
  expect_error([&] { read_npy(p, 1); }, {"t.npy", "truncated"});
}

TEST_F(Npy, RejectsNonFiniteValues) {
  Matrix m = sample(3, 4);
  m.values[6] = std::numeric_limits<float>::quiet_NaN();
  expect_error([&] { parse_npy(encode_npy(m), "n.npy"); }, {"n.npy", "row 1, column 2", "finite"});
  Bytes f8 = make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
                      le_array(std::vector<double>{1e300}));
  expect_error([&] { parse_npy(f8); }, {"row 0", "finite"});
}

TEST_F(Npy, FileErrorsNameThePath) {
  EXPECT_THROW(read_npy(dir_ / "missing.npy"), std::system_error);
  auto p = write("m.npy", encode_npy(sample(100, 16)));
  expect_error([&] { read_npy(p, kAllRows, 1000); }, {"m.npy", "limit of 1000"});
  EXPECT_EQ(read_npy(p, 2, 1000).rows, 2u);
}
