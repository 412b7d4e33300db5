// AVX2 twin of kernels::scan_tiles_scalar (same results, bit for bit). One
// tile is 8 coefficients: even and odd 32-bit lanes are multiplied by
// separate vpmuludq into 64-bit accumulators, six registers per prime.
#include <immintrin.h>

#include "veil/search/layout.h"
#include "veil/search/scan_kernel.h"

namespace veil::search::kernels {

namespace {

inline __m256i fold(__m256i x, __m256i f, __m256i low_mask) {
  return _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x, 32), f), _mm256_and_si256(x, low_mask));
}

}  // namespace

void scan_tiles_avx2(const std::uint32_t* block, const std::uint32_t* probe, std::size_t d,
                     std::size_t n, std::size_t tile_begin, std::size_t tile_end,
                     const ScanPrimes& primes, std::uint32_t* out) {
  const __m256i low_mask = _mm256_set1_epi64x(0xffffffff);
  alignas(32) std::uint64_t lanes[6][4];
  for (std::size_t t = tile_begin; t < tile_end; ++t) {
    for (std::size_t l = 0; l < kPrimes; ++l) {
      const __m256i* g = reinterpret_cast<const __m256i*>(block + (t * kPrimes + l) * chunk_words(d));
      const __m256i* p = reinterpret_cast<const __m256i*>(probe + (t * kPrimes + l) * chunk_words(d));
      const __m256i f = _mm256_set1_epi64x(static_cast<long long>(primes.fold[l]));
      __m256i e0e = _mm256_setzero_si256(), e0o = e0e, e1e = e0e, e1o = e0e, e2e = e0e, e2o = e0e;
      for (std::size_t j0 = 0; j0 < d; j0 += kFoldInterval) {
        if (j0) {
          e0e = fold(e0e, f, low_mask);
          e0o = fold(e0o, f, low_mask);
          e1e = fold(e1e, f, low_mask);
          e1o = fold(e1o, f, low_mask);
          e2e = fold(e2e, f, low_mask);
          e2o = fold(e2o, f, low_mask);
        }
        const std::size_t j1 = j0 + kFoldInterval < d ? j0 + kFoldInterval : d;
        for (std::size_t j = j0; j < j1; ++j) {
          const __m256i gb = _mm256_load_si256(g + 2 * j), ga = _mm256_load_si256(g + 2 * j + 1);
          const __m256i pb = _mm256_load_si256(p + 2 * j), pa = _mm256_load_si256(p + 2 * j + 1);
          const __m256i gbo = _mm256_srli_epi64(gb, 32), gao = _mm256_srli_epi64(ga, 32);
          const __m256i pbo = _mm256_srli_epi64(pb, 32), pao = _mm256_srli_epi64(pa, 32);
          e0e = _mm256_add_epi64(e0e, _mm256_mul_epu32(gb, pb));
          e0o = _mm256_add_epi64(e0o, _mm256_mul_epu32(gbo, pbo));
          e1e = _mm256_add_epi64(e1e, _mm256_add_epi64(_mm256_mul_epu32(ga, pb), _mm256_mul_epu32(gb, pa)));
          e1o = _mm256_add_epi64(e1o, _mm256_add_epi64(_mm256_mul_epu32(gao, pbo), _mm256_mul_epu32(gbo, pao)));
          e2e = _mm256_add_epi64(e2e, _mm256_mul_epu32(ga, pa));
          e2o = _mm256_add_epi64(e2o, _mm256_mul_epu32(gao, pao));
        }
      }
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[0]), e0e);
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[1]), e0o);
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[2]), e1e);
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[3]), e1o);
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[4]), e2e);
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[5]), e2o);
      const math::Modulus& m = primes.mod[l];
      for (std::size_t part = 0; part < 3; ++part) {
        std::uint32_t* o = out + (part * kPrimes + l) * n + t * kTile;
        for (std::size_t i = 0; i < 4; ++i) {
          o[2 * i] = static_cast<std::uint32_t>(m.reduce(lanes[2 * part][i]));
          o[2 * i + 1] = static_cast<std::uint32_t>(m.reduce(lanes[2 * part + 1][i]));
        }
      }
    }
  }
}

}  // namespace veil::search::kernels
