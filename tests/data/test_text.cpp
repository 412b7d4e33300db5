#include <gtest/gtest.h>

#include <string>

#include "data/data_test_util.h"
#include "expect_error.h"
#include "veil/data/embeddings.h"
#include "veil/data/text.h"
#include "veil/io/errors.h"

using namespace veil::data;
using veil::io::FormatError;

namespace {

template <class F>
void expect_error(F f, std::initializer_list<const char*> fragments) {
  veil::test::expect_error<FormatError>(f, fragments);
}

class Text : public veil::test::TempDirTest {};

}  // namespace

TEST_F(Text, PlainCsv) {
  CsvData d = parse_csv("1,2,3\n-4.5, +5e2 ,6\r\n\n");
  EXPECT_TRUE(d.header.empty());
  EXPECT_TRUE(d.ids.empty());
  ASSERT_EQ(d.matrix.rows, 2u);
  ASSERT_EQ(d.matrix.cols, 3u);
  EXPECT_EQ(d.matrix.values, (std::vector<float>{1, 2, 3, -4.5f, 500, 6}));
}

TEST_F(Text, HeaderAndIds) {
  CsvData d = parse_csv("id,x0,x1\n\"alice\",0.5,1\nbob,2,3", "<m>", {.id_column = true});
  EXPECT_EQ(d.header, (std::vector<std::string>{"id", "x0", "x1"}));
  EXPECT_EQ(d.ids, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(d.matrix.cols, 2u);
  EXPECT_EQ(d.matrix.row(1)[0], 2.0f);
  // Without id_column the same file has a non-numeric field on line 2.
  expect_error([&] { parse_csv("id,x0,x1\nalice,0.5,1\n", "e.csv"); },
               {"e.csv", "line 2, field 1", "'alice' is not a finite number"});
  // With ids, a numeric-looking first row is data, not a header.
  CsvData n = parse_csv("7,1,2\n", "<m>", {.id_column = true});
  EXPECT_TRUE(n.header.empty());
  EXPECT_EQ(n.ids, (std::vector<std::string>{"7"}));
  CsvData limited = parse_csv("a,b\n1,2\n3,4\n5,6\n", "<m>", {.max_rows = 2});
  EXPECT_EQ(limited.matrix.rows, 2u);
}

TEST_F(Text, CsvErrors) {
  expect_error([&] { parse_csv("1,2\n3\n", "r.csv"); },
               {"r.csv", "line 2", "1 fields, expected 2"});
  expect_error([&] { parse_csv("1,2\n3,nan\n"); }, {"line 2, field 2", "not a finite number"});
  expect_error([&] { parse_csv("1,2\n3,\n"); }, {"line 2, field 2"});
  expect_error([&] { parse_csv("1,2\n3,1e99\n"); }, {"line 2, field 2"});
  expect_error([&] { parse_csv("x\n", "<m>", {.id_column = true}); }, {"line 1", "expected an id"});
  expect_error([&] { parse_csv(",1\n", "<m>", {.id_column = true}); }, {"line 1", "empty id"});
  EXPECT_EQ(parse_csv("").matrix.rows, 0u);
}

TEST_F(Text, CsvFileThroughReadEmbeddings) {
  auto p = write_text("e.csv", "name,a,b\nx,1,2\ny,3,4\n");
  Embeddings e = read_embeddings(p, {.csv_id_column = true});
  EXPECT_EQ(e.ids, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(e.matrix.values, (std::vector<float>{1, 2, 3, 4}));
}

TEST_F(Text, Labels) {
  EXPECT_EQ(parse_labels_txt("a\r\nb c\nd"), (std::vector<std::string>{"a", "b c", "d"}));
  EXPECT_EQ(parse_labels_txt("a\n"), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(parse_labels_txt("").empty());
  expect_error([&] { parse_labels_txt("a\n\nb\n", "l.txt"); }, {"l.txt", "line 2", "empty label"});
  auto p = write_text("l.txt", "x\ny\n");
  EXPECT_EQ(read_labels_txt(p).size(), 2u);
}

TEST_F(Text, LabelsAreCheckedText) {
  // Valid UTF-8 beyond ASCII is kept; spaces are fine.
  EXPECT_EQ(parse_labels_txt("Zo\xC3\xAB\nli \xE6\x9D\x8E\n"),
            (std::vector<std::string>{"Zo\xC3\xAB", "li \xE6\x9D\x8E"}));
  // A NUL, a tab, DEL, a C1 control or invalid UTF-8: refused naming the
  // source, the line, what the lines are and the byte.
  expect_error([&] { parse_labels_txt(std::string("a\nb\0c\n", 6), "ids.txt", "id"); },
               {"ids.txt", "line 2", "id", "control character U+0000 at byte 1"});
  expect_error([&] { parse_labels_txt("a\tb\n", "l.txt"); },
               {"l.txt", "line 1", "label", "U+0009"});
  expect_error([&] { parse_labels_txt("ok\nx\x7f\n", "l.txt"); }, {"line 2", "U+007F"});
  expect_error([&] { parse_labels_txt("\xC2\x85\n", "l.txt"); }, {"line 1", "U+0085"});
  expect_error([&] { parse_labels_txt("a\nb\nok\xFF\n", "l.txt"); },
               {"line 3", "invalid UTF-8 at byte 2"});
  expect_error([&] { parse_labels_txt("\xC3\n", "l.txt"); }, {"line 1", "UTF-8"});
  // An empty line says which kind of line it is.
  expect_error([&] { parse_labels_txt("a\n\nb\n", "ids.txt", "id"); },
               {"ids.txt", "line 2", "empty id"});
  auto p = write_text("ids.txt", "x\ny\x01\n");
  expect_error([&] { read_labels_txt(p, veil::data::kDefaultMaxFileBytes, "id"); },
               {"ids.txt", "line 2: id: control character U+0001"});
}

TEST_F(Text, CsvIdsAreCheckedText) {
  expect_error([&] { parse_csv("a,1\nb\x01,2\n", "i.csv", {.id_column = true}); },
               {"i.csv", "line 2", "id", "U+0001"});
  expect_error([&] { parse_csv("\"\xFF\",1\n", "i.csv", {.id_column = true}); },
               {"line 1", "invalid UTF-8"});
}
