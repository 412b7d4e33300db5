#include "bandwidth.h"

#include <immintrin.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "veil/search/layout.h"
#include "veil/search/parallel.h"

namespace veil::apps {

namespace {
__attribute__((target("avx2"))) std::uint64_t read_sum(const std::uint32_t* p, std::size_t words) {
  const __m256i* v = reinterpret_cast<const __m256i*>(p);
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (std::size_t i = 0; i + 4 <= words / 8; i += 4) {
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(v + i));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(v + i + 1));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(v + i + 2));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(v + i + 3));
  }
  a0 = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  return static_cast<std::uint64_t>(_mm256_extract_epi64(a0, 0));
}
}  // namespace

double measure_read_bandwidth(std::size_t bytes, std::size_t threads, int repeats) {
  search::Words buf(bytes / 4);
  std::memset(buf.data(), 1, buf.size() * 4);  // touch every page first
  const std::size_t chunks = threads * 16;
  const std::size_t per = (buf.size() / chunks) & ~std::size_t{31};
  double best = 0;
  volatile std::uint64_t sink = 0;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::uint64_t> sums(chunks);
    search::parallel_for(chunks, threads, [&](std::size_t c, std::size_t) {
      sums[c] = read_sum(buf.data() + c * per, per);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto x : sums) sink = sink + x;
    best = std::max(best, static_cast<double>(per * chunks * 4) / s / 1e9);
  }
  return best;
}

}  // namespace veil::apps
