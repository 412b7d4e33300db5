// Wall time since a steady-clock instant, and percentiles of timings: the
// helpers every layer's timings use.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace veil::io {

inline double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

inline double s_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The element at rank floor(p n) of the sorted values (p = 0.5: the upper
// median); 0 for none.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace veil::io
