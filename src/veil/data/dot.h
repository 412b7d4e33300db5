// Inner product of two float rows, shared by the statistics and metrics code.
#pragma once

#include <cstddef>

namespace veil::data {

// Eight independent float accumulators (so the compiler can vectorise without
// -ffast-math), summed in double at the end.
inline double dot(const float* a, const float* b, std::size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (std::size_t l = 0; l < 8; ++l) acc[l] += a[i + l] * b[i + l];
  }
  double s = 0;
  for (float v : acc) s += v;
  for (; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace veil::data
