// Text formats: CSV embeddings and one-label-per-line label files.
//
// CSV: one row per line, numbers separated by commas (spaces around fields
// and a trailing '\r' are ignored; empty lines are skipped). The first line
// is a header when any of its value fields is not a number. With
// CsvOptions::id_column the first field of every row is a string id (which
// may be wrapped in double quotes; quoted fields cannot contain commas; it
// must be valid UTF-8 without control characters). Every
// row must have as many fields as the first. A field that is not a finite
// number is an io::FormatError naming the source, the line and the field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "veil/data/matrix.h"

namespace veil::data {

struct CsvOptions {
  bool id_column = false;  // the first field of each row is a string id
  std::uint64_t max_rows = kAllRows;
};

struct CsvData {
  Matrix matrix;
  std::vector<std::string> ids;     // one per row when id_column, else empty
  std::vector<std::string> header;  // the header's fields, empty when there is none
};

CsvData parse_csv(std::string_view text, std::string_view source = "<memory>",
                  const CsvOptions& options = {});
CsvData read_csv(const std::filesystem::path& path, const CsvOptions& options = {},
                 std::uint64_t max_file_bytes = kDefaultMaxFileBytes);

// One label per line ('\r' before '\n' dropped, a final newline optional).
// An empty line (except after the final newline), or one that is not valid
// UTF-8 or holds a control character (io::text_problem), is an
// io::FormatError naming the source, the line and `what` the lines are
// ("ids.txt: line 3: empty id"); ids files pass what = "id".
std::vector<std::string> parse_labels_txt(std::string_view text,
                                          std::string_view source = "<memory>",
                                          std::string_view what = "label");
std::vector<std::string> read_labels_txt(const std::filesystem::path& path,
                                         std::uint64_t max_file_bytes = kDefaultMaxFileBytes,
                                         std::string_view what = "label");

}  // namespace veil::data
