// Embeddings to the integers the encrypted search computes with: each row is
// checked (finite, non-zero, the expected dimension), L2-normalised and
// rounded to round(s * x). Scores of quantised rows are exact integers.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

namespace veil::search {

// A row that cannot be searched: wrong length, NaN/Inf, or all zeros.
class InputError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Row-major quantised vectors.
struct QuantizedRows {
  std::size_t rows = 0, dimension = 0;
  std::vector<std::int16_t> values;
  std::span<const std::int16_t> row(std::size_t i) const {
    return {values.data() + i * dimension, dimension};
  }
};

// `values` holds rows x dimension floats. Throws InputError naming the first
// bad row (index `first_row + i`) and what is wrong; nothing is returned then.
QuantizedRows quantize_rows(std::span<const float> values, std::size_t dimension,
                            std::uint32_t scale, std::size_t first_row = 0);

// The plaintext score of two quantised rows (the value the encrypted search returns).
std::int64_t quantized_dot(std::span<const std::int16_t> a, std::span<const std::int16_t> b);

}  // namespace veil::search
