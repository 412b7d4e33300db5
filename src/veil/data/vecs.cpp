#include "veil/data/vecs.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "veil/data/file_bytes.h"
#include "veil/io/byte_io.h"
#include "veil/io/file_io.h"

namespace veil::data {
namespace {

using detail::fail;

// Elements per row are read from the first row; `convert` reads one element.
template <class T, class Convert>
MatrixOf<T> parse_vecs(std::span<const std::uint8_t> bytes, std::string_view source,
                       std::uint64_t max_rows, std::size_t elem_size, Convert convert) {
  MatrixOf<T> m;
  if (bytes.empty() || max_rows == 0) return m;
  if (bytes.size() < 4) {
    fail(source, "row 0: truncated: needs 4 bytes for the dimension, " +
                     std::to_string(bytes.size()) + " left");
  }
  std::int32_t d;
  std::memcpy(&d, bytes.data(), 4);
  if (d <= 0) fail(source, "row 0: dimension " + std::to_string(d) + " must be positive");
  std::uint64_t row_bytes = 4 + static_cast<std::uint64_t>(d) * elem_size;
  std::uint64_t full_rows = bytes.size() / row_bytes;
  std::uint64_t rows = full_rows < max_rows ? full_rows : max_rows;
  if (rows < max_rows && bytes.size() % row_bytes != 0) {
    std::uint64_t left = bytes.size() - full_rows * row_bytes;
    // Report a differing dimension first, it explains the misfit better.
    if (left >= 4) {
      std::int32_t dr;
      std::memcpy(&dr, bytes.data() + full_rows * row_bytes, 4);
      if (dr != d) {
        fail(source, "row " + std::to_string(full_rows) + ": dimension " + std::to_string(dr) +
                         ", expected " + std::to_string(d) + " (from row 0)");
      }
    }
    fail(source, "row " + std::to_string(full_rows) + ": truncated: needs " +
                     std::to_string(row_bytes) + " bytes, " + std::to_string(left) + " left");
  }
  m.rows = static_cast<std::size_t>(rows);
  m.cols = static_cast<std::size_t>(d);
  m.values.resize(io::checked_size(rows, m.cols, "matrix size"));
  for (std::size_t r = 0; r < m.rows; ++r) {
    const std::uint8_t* p = bytes.data() + r * row_bytes;
    std::int32_t dr;
    std::memcpy(&dr, p, 4);
    if (dr != d) {
      fail(source, "row " + std::to_string(r) + ": dimension " + std::to_string(dr) +
                       ", expected " + std::to_string(d) + " (from row 0)");
    }
    T* out = m.row(r);
    for (std::size_t c = 0; c < m.cols; ++c) out[c] = convert(p + 4 + c * elem_size, r, c);
  }
  return m;
}

float load_f32(const std::uint8_t* p, std::string_view source, std::size_t r, std::size_t c) {
  float v;
  std::memcpy(&v, p, 4);
  if (!std::isfinite(v)) {
    fail(source, "row " + std::to_string(r) + ", column " + std::to_string(c) +
                     ": value is not a finite float");
  }
  return v;
}

// Reads the prefix of `path` holding max_rows rows (all when max_rows is
// kAllRows) after checking that the file is a whole number of rows.
std::vector<std::uint8_t> read_vecs_prefix(const std::filesystem::path& path,
                                           std::uint64_t max_rows, std::uint64_t max_file_bytes,
                                           std::size_t elem_size) {
  std::string source = path.string();
  std::uint64_t size = detail::file_size(path);
  if (size == 0 || max_rows == 0) return {};
  std::vector<std::uint8_t> head = detail::read_prefix(path, 4);
  if (head.size() < 4) fail(source, "row 0: truncated: needs 4 bytes for the dimension");
  std::int32_t d;
  std::memcpy(&d, head.data(), 4);
  if (d <= 0) fail(source, "row 0: dimension " + std::to_string(d) + " must be positive");
  std::uint64_t row_bytes = 4 + static_cast<std::uint64_t>(d) * elem_size;
  if (size % row_bytes != 0) {
    fail(source, "file size " + std::to_string(size) + " is not a whole number of " +
                     std::to_string(row_bytes) + "-byte rows (dimension " + std::to_string(d) +
                     "): truncated at row " + std::to_string(size / row_bytes) +
                     " or rows of different dimensions");
  }
  std::uint64_t rows = size / row_bytes;
  if (rows > max_rows) rows = max_rows;
  std::uint64_t want = rows * row_bytes;
  if (want > max_file_bytes) {
    fail(source, "reading " + std::to_string(rows) + " rows needs " + std::to_string(want) +
                     " bytes, more than the limit of " + std::to_string(max_file_bytes) +
                     " (read fewer rows with max_rows, or raise max_file_bytes)");
  }
  std::vector<std::uint8_t> bytes = detail::read_prefix(path, want);
  if (bytes.size() != want) fail(source, "file shrank while being read");
  return bytes;
}

template <class T>
std::vector<std::uint8_t> encode(const MatrixOf<T>& m, std::size_t elem_size,
                                 void (*put)(std::uint8_t*, T)) {
  if (m.values.size() != m.rows * m.cols) {
    throw std::invalid_argument("encode vecs: matrix holds " + std::to_string(m.values.size()) +
                                " values, expected rows * cols");
  }
  if (m.rows > 0 && (m.cols == 0 || m.cols > static_cast<std::size_t>(INT32_MAX))) {
    throw std::invalid_argument("encode vecs: dimension " + std::to_string(m.cols) +
                                " out of range");
  }
  std::size_t row_bytes = 4 + m.cols * elem_size;
  std::vector<std::uint8_t> out(m.rows * row_bytes);
  std::int32_t d = static_cast<std::int32_t>(m.cols);
  for (std::size_t r = 0; r < m.rows; ++r) {
    std::uint8_t* p = out.data() + r * row_bytes;
    std::memcpy(p, &d, 4);
    for (std::size_t c = 0; c < m.cols; ++c) put(p + 4 + c * elem_size, m.row(r)[c]);
  }
  return out;
}

}  // namespace

Matrix parse_fvecs(std::span<const std::uint8_t> bytes, std::string_view source,
                   std::uint64_t max_rows) {
  return parse_vecs<float>(bytes, source, max_rows, 4,
                           [&](const std::uint8_t* p, std::size_t r, std::size_t c) {
                             return load_f32(p, source, r, c);
                           });
}

Matrix parse_bvecs(std::span<const std::uint8_t> bytes, std::string_view source,
                   std::uint64_t max_rows) {
  return parse_vecs<float>(
      bytes, source, max_rows, 1,
      [](const std::uint8_t* p, std::size_t, std::size_t) { return static_cast<float>(*p); });
}

IntMatrix parse_ivecs(std::span<const std::uint8_t> bytes, std::string_view source,
                      std::uint64_t max_rows) {
  return parse_vecs<std::int32_t>(bytes, source, max_rows, 4,
                                  [](const std::uint8_t* p, std::size_t, std::size_t) {
                                    std::int32_t v;
                                    std::memcpy(&v, p, 4);
                                    return v;
                                  });
}

Matrix read_fvecs(const std::filesystem::path& path, std::uint64_t max_rows,
                  std::uint64_t max_file_bytes) {
  return parse_fvecs(read_vecs_prefix(path, max_rows, max_file_bytes, 4), path.string(), max_rows);
}

Matrix read_bvecs(const std::filesystem::path& path, std::uint64_t max_rows,
                  std::uint64_t max_file_bytes) {
  return parse_bvecs(read_vecs_prefix(path, max_rows, max_file_bytes, 1), path.string(), max_rows);
}

IntMatrix read_ivecs(const std::filesystem::path& path, std::uint64_t max_rows,
                     std::uint64_t max_file_bytes) {
  return parse_ivecs(read_vecs_prefix(path, max_rows, max_file_bytes, 4), path.string(), max_rows);
}

std::vector<std::uint8_t> encode_fvecs(const Matrix& m) {
  return encode<float>(m, 4, [](std::uint8_t* p, float v) { std::memcpy(p, &v, 4); });
}

std::vector<std::uint8_t> encode_ivecs(const IntMatrix& m) {
  return encode<std::int32_t>(m, 4, [](std::uint8_t* p, std::int32_t v) { std::memcpy(p, &v, 4); });
}

std::vector<std::uint8_t> encode_bvecs(const Matrix& m) {
  for (float v : m.values) {
    if (!(v >= 0 && v <= 255 && v == std::floor(v))) {
      throw std::invalid_argument("encode_bvecs: value " + std::to_string(v) +
                                  " is not an integer in [0, 255]");
    }
  }
  return encode<float>(m, 1, [](std::uint8_t* p, float v) { *p = static_cast<std::uint8_t>(v); });
}

void write_fvecs(const std::filesystem::path& path, const Matrix& m) {
  io::write_file_atomic(path, encode_fvecs(m));
}

}  // namespace veil::data
