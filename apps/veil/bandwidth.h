// The machine's memory read bandwidth, measured the way the scan reads: one
// streaming pass of AVX2 loads over a buffer far larger than the caches.
#pragma once

#include <cstddef>

namespace veil::apps {

// GB/s (1e9 bytes/s) reading `bytes` with `threads` threads; best of `repeats`.
double measure_read_bandwidth(std::size_t bytes, std::size_t threads, int repeats = 3);

}  // namespace veil::apps
