#include "veil/search/quantize.h"

#include <cmath>
#include <string>

namespace veil::search {

QuantizedRows quantize_rows(std::span<const float> values, std::size_t dimension,
                            std::uint32_t scale, std::size_t first_row) {
  if (dimension == 0) throw InputError("quantize: dimension must be positive");
  if (values.size() % dimension != 0) {
    throw InputError("quantize: " + std::to_string(values.size()) +
                     " values is not a whole number of rows of dimension " +
                     std::to_string(dimension));
  }
  QuantizedRows out;
  out.rows = values.size() / dimension;
  out.dimension = dimension;
  out.values.resize(values.size());
  for (std::size_t i = 0; i < out.rows; ++i) {
    const float* x = values.data() + i * dimension;
    double norm2 = 0;
    for (std::size_t j = 0; j < dimension; ++j) {
      if (!std::isfinite(x[j])) {
        throw InputError("row " + std::to_string(first_row + i) + ": value " + std::to_string(j) +
                         " is not finite");
      }
      norm2 += static_cast<double>(x[j]) * x[j];
    }
    if (!(norm2 > 0)) throw InputError("row " + std::to_string(first_row + i) + " is all zeros");
    const double f = scale / std::sqrt(norm2);
    for (std::size_t j = 0; j < dimension; ++j) {
      // |x_j| / |x| <= 1, so |round(f x_j)| <= scale fits int16.
      out.values[i * dimension + j] = static_cast<std::int16_t>(std::lround(f * x[j]));
    }
  }
  return out;
}

std::int64_t quantized_dot(std::span<const std::int16_t> a, std::span<const std::int16_t> b) {
  if (a.size() != b.size()) throw InputError("quantized_dot: dimension mismatch");
  std::int64_t s = 0;
  for (std::size_t j = 0; j < a.size(); ++j) s += static_cast<std::int64_t>(a[j]) * b[j];
  return s;
}

}  // namespace veil::search
