// A dense row-major matrix, the in-memory form of an embedding file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace veil::data {

template <class T>
struct MatrixOf {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<T> values;  // rows * cols values, row after row

  const T* row(std::size_t i) const { return values.data() + i * cols; }
  T* row(std::size_t i) { return values.data() + i * cols; }
  bool empty() const { return rows == 0; }
};

using Matrix = MatrixOf<float>;            // embeddings
using IntMatrix = MatrixOf<std::int32_t>;  // e.g. ground-truth neighbour ids (.ivecs)

// Loaders take a row limit (read the first max_rows rows only) ...
inline constexpr std::uint64_t kAllRows = ~std::uint64_t{0};
// ... and refuse to read more than this many bytes of a file at once unless
// told otherwise (a whole BIGANN base is 132 GB: read a prefix with max_rows).
inline constexpr std::uint64_t kDefaultMaxFileBytes = std::uint64_t{16} << 30;

}  // namespace veil::data
