// NumPy .npy files (format versions 1.0, 2.0 and 3.0).
//
// Accepted: little-endian, C-order arrays of 1 or 2 dimensions. A 1-D array
// of n values reads as an n x 1 matrix. Fortran order (for 2-D arrays),
// big-endian dtypes, structured dtypes and more than 2 dimensions are refused
// with an io::FormatError naming the source and the field. The header's shape
// is checked against the bytes actually present before anything is allocated:
// truncated and over-long data are both refused.
//
// parse_* take the file's bytes (in-memory entry points, used by the fuzz
// targets); read_* read a file. Every error message starts with the source
// name (the path for read_*).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "veil/data/matrix.h"

namespace veil::data {

struct NpyHeader {
  int major_version = 1;  // 1, 2 or 3
  std::string descr;      // e.g. "<f4"
  bool fortran_order = false;
  std::vector<std::uint64_t> shape;
  std::size_t data_offset = 0;  // where the array data starts in the file
};

// The header only (magic, version, header length and the dict). Throws
// io::FormatError for anything malformed; does not look at the data.
NpyHeader parse_npy_header(std::span<const std::uint8_t> bytes, std::string_view source);

// A float matrix from dtype <f4, <f8 (rounded to float) or |u1. Non-finite
// values (NaN, infinity, or a <f8 value beyond float range) are refused with
// the row and column. With max_rows only the first max_rows rows are kept
// (the whole shape is still checked against the data size).
Matrix parse_npy(std::span<const std::uint8_t> bytes, std::string_view source = "<memory>",
                 std::uint64_t max_rows = kAllRows);

// Integer labels from dtype |u1, <i4 or <i8, shape (n,) or (n, 1).
std::vector<std::int64_t> parse_npy_labels(std::span<const std::uint8_t> bytes,
                                           std::string_view source = "<memory>");

// String labels from dtype <U<k> (fixed-width UTF-32), shape (n,) or (n, 1),
// as UTF-8; trailing NULs of each element are dropped, as NumPy does.
std::vector<std::string> parse_npy_strings(std::span<const std::uint8_t> bytes,
                                           std::string_view source = "<memory>");

// Only the header and the first max_rows rows are read from disk.
Matrix read_npy(const std::filesystem::path& path, std::uint64_t max_rows = kAllRows,
                std::uint64_t max_file_bytes = kDefaultMaxFileBytes);
std::vector<std::int64_t> read_npy_labels(const std::filesystem::path& path,
                                          std::uint64_t max_file_bytes = kDefaultMaxFileBytes);
std::vector<std::string> read_npy_strings(const std::filesystem::path& path,
                                          std::uint64_t max_file_bytes = kDefaultMaxFileBytes);

// Version 1.0, dtype <f4, shape (rows, cols), header padded so that the data
// starts at a multiple of 64 bytes.
std::vector<std::uint8_t> encode_npy(const Matrix& m);
// Written atomically (io::write_file_atomic).
void write_npy(const std::filesystem::path& path, const Matrix& m);

}  // namespace veil::data
