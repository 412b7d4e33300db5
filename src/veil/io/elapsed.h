// Wall time since a steady-clock instant, in milliseconds: the one helper
// every layer's timings use.
#pragma once

#include <chrono>

namespace veil::io {

inline double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace veil::io
