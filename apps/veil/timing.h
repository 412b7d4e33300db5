// Wall-clock helpers shared by `veil bench` and `veil eval`.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

#include "veil/io/elapsed.h"

namespace veil::apps {

using Clock = std::chrono::steady_clock;

using io::ms_since;
using io::s_since;

// The upper median (the middle element for odd sizes); 0 for none.
inline double median(std::vector<double> v) { return io::percentile(std::move(v), 0.5); }

}  // namespace veil::apps
