// AVX2 twin of kernels::scan_tiles_scalar (same results, bit for bit). One
// tile is 8 coefficients: even and odd 32-bit lanes are multiplied by
// separate vpmuludq into 64-bit accumulators, six registers per prime.
#include <immintrin.h>

#include "veil/search/layout.h"
#include "veil/search/scan_kernel.h"

namespace veil::search::kernels {

namespace {

constexpr std::size_t kPrefetchBytes = 16384;

inline __m256i fold(__m256i x, __m256i f, __m256i low_mask) {
  return _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x, 32), f),
                          _mm256_and_si256(x, low_mask));
}

// x < q 2^32 -> x 2^-32 mod q in [0, q), in each 64-bit lane.
inline __m256i montgomery(__m256i x, __m256i q, __m256i neg_qinv, __m256i low_mask) {
  const __m256i m = _mm256_and_si256(_mm256_mul_epu32(x, neg_qinv), low_mask);
  __m256i t = _mm256_srli_epi64(_mm256_add_epi64(x, _mm256_mul_epu32(m, q)), 32);
  // t < 2q: subtract q where t >= q (compare as signed, all values < 2^31).
  const __m256i ge = _mm256_cmpgt_epi64(q, t);
  return _mm256_sub_epi64(t, _mm256_andnot_si256(ge, q));
}

// The even and odd lanes (coefficients 2i and 2i + 1) of one part, reduced,
// stored as 8 consecutive u32.
inline void finish(__m256i even, __m256i odd, __m256i f, __m256i q, __m256i neg_qinv,
                   __m256i low_mask, std::uint32_t* out) {
  // Two folds bring x below 2^59 + 2^32 < q 2^32 (q > 2^28).
  even = montgomery(fold(fold(even, f, low_mask), f, low_mask), q, neg_qinv, low_mask);
  odd = montgomery(fold(fold(odd, f, low_mask), f, low_mask), q, neg_qinv, low_mask);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                      _mm256_or_si256(even, _mm256_slli_epi64(odd, 32)));
}

}  // namespace

void scan_tiles_avx2(const std::uint32_t* block, const std::uint32_t* probe, std::size_t d,
                     std::size_t n, std::size_t tile_begin, std::size_t tile_end,
                     const ScanPrimes& primes, std::uint32_t* out) {
  const __m256i low_mask = _mm256_set1_epi64x(0xffffffff);
  for (std::size_t t = tile_begin; t < tile_end; ++t) {
    for (std::size_t l = 0; l < kPrimes; ++l) {
      const __m256i* g =
          reinterpret_cast<const __m256i*>(block + (t * kPrimes + l) * chunk_words(d));
      const __m256i* p =
          reinterpret_cast<const __m256i*>(probe + (t * kPrimes + l) * chunk_words(d));
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
          // One line of the chunk two ahead per line consumed: the hardware
          // prefetcher alone leaves the loads waiting on DRAM.
          _mm_prefetch(reinterpret_cast<const char*>(g + 2 * j) + kPrefetchBytes, _MM_HINT_T0);
          const __m256i gb = _mm256_load_si256(g + 2 * j), ga = _mm256_load_si256(g + 2 * j + 1);
          const __m256i pb = _mm256_load_si256(p + 2 * j), pa = _mm256_load_si256(p + 2 * j + 1);
          const __m256i gbo = _mm256_srli_epi64(gb, 32), gao = _mm256_srli_epi64(ga, 32);
          const __m256i pbo = _mm256_srli_epi64(pb, 32), pao = _mm256_srli_epi64(pa, 32);
          e0e = _mm256_add_epi64(e0e, _mm256_mul_epu32(gb, pb));
          e0o = _mm256_add_epi64(e0o, _mm256_mul_epu32(gbo, pbo));
          e1e = _mm256_add_epi64(
              e1e, _mm256_add_epi64(_mm256_mul_epu32(ga, pb), _mm256_mul_epu32(gb, pa)));
          e1o = _mm256_add_epi64(
              e1o, _mm256_add_epi64(_mm256_mul_epu32(gao, pbo), _mm256_mul_epu32(gbo, pao)));
          e2e = _mm256_add_epi64(e2e, _mm256_mul_epu32(ga, pa));
          e2o = _mm256_add_epi64(e2o, _mm256_mul_epu32(gao, pao));
        }
      }
      const __m256i q = _mm256_set1_epi64x(static_cast<long long>(primes.q[l]));
      const __m256i nqi = _mm256_set1_epi64x(static_cast<long long>(primes.neg_qinv[l]));
      finish(e0e, e0o, f, q, nqi, low_mask, out + (0 * kPrimes + l) * n + t * kTile);
      finish(e1e, e1o, f, q, nqi, low_mask, out + (1 * kPrimes + l) * n + t * kTile);
      finish(e2e, e2o, f, q, nqi, low_mask, out + (2 * kPrimes + l) * n + t * kTile);
    }
  }
}

}  // namespace veil::search::kernels
