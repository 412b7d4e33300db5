// Wall-clock helpers shared by `veil bench` and `veil eval`.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

#include "veil/io/elapsed.h"

namespace veil::apps {

using Clock = std::chrono::steady_clock;

using io::ms_since;

inline double s_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The upper median (the middle element for odd sizes); 0 for none.
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace veil::apps
