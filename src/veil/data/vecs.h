// texmex vector files (.fvecs, .bvecs, .ivecs), as used by the BIGANN and
// SIFT benchmarks: per vector, an int32 dimension d, then d values (float32,
// uint8 or int32), all little-endian. Every row must have the same d.
//
// With max_rows only the first max_rows rows are parsed (read_* read only
// that prefix of the file, so a 1-billion-row BIGANN file can be sampled). A
// row whose dimension differs from row 0's, a non-positive dimension, a
// truncated row and (for .fvecs) a non-finite value are io::FormatErrors
// naming the source and the row. Allocation is bounded by the input size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "veil/data/matrix.h"

namespace veil::data {

Matrix parse_fvecs(std::span<const std::uint8_t> bytes, std::string_view source = "<memory>",
                   std::uint64_t max_rows = kAllRows);
// uint8 values converted to float.
Matrix parse_bvecs(std::span<const std::uint8_t> bytes, std::string_view source = "<memory>",
                   std::uint64_t max_rows = kAllRows);
IntMatrix parse_ivecs(std::span<const std::uint8_t> bytes, std::string_view source = "<memory>",
                      std::uint64_t max_rows = kAllRows);

// The file must be a whole number of rows (checked from its size, also when
// only a prefix is read).
Matrix read_fvecs(const std::filesystem::path& path, std::uint64_t max_rows = kAllRows,
                  std::uint64_t max_file_bytes = kDefaultMaxFileBytes);
Matrix read_bvecs(const std::filesystem::path& path, std::uint64_t max_rows = kAllRows,
                  std::uint64_t max_file_bytes = kDefaultMaxFileBytes);
IntMatrix read_ivecs(const std::filesystem::path& path, std::uint64_t max_rows = kAllRows,
                     std::uint64_t max_file_bytes = kDefaultMaxFileBytes);

std::vector<std::uint8_t> encode_fvecs(const Matrix& m);
std::vector<std::uint8_t> encode_ivecs(const IntMatrix& m);
// Values must be integers in [0, 255] (std::invalid_argument otherwise).
std::vector<std::uint8_t> encode_bvecs(const Matrix& m);
// Written atomically (io::write_file_atomic).
void write_fvecs(const std::filesystem::path& path, const Matrix& m);

}  // namespace veil::data
