// AVX2 twin of kernels::scan_tiles_scalar (same results, bit for bit). One
// tile is 8 coefficients: even and odd 32-bit lanes are multiplied by
// separate vpmuludq into 64-bit accumulators, four registers per prime and
// block; two blocks at a time share the probe's loads and shifts.
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
  // Two folds bring x below (2^29 + 1) q + 2^32 < q 2^32 (q > 2^28).
  even = montgomery(fold(fold(even, f, low_mask), f, low_mask), q, neg_qinv, low_mask);
  odd = montgomery(fold(fold(odd, f, low_mask), f, low_mask), q, neg_qinv, low_mask);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                      _mm256_or_si256(even, _mm256_slli_epi64(odd, 32)));
}

}  // namespace

namespace {

struct Acc {
  __m256i x0e, x0o, x1e, x1o;
  void zero() { x0e = x0o = x1e = x1o = _mm256_setzero_si256(); }
  void fold_all(__m256i f, __m256i low_mask) {
    x0e = fold(x0e, f, low_mask);
    x0o = fold(x0o, f, low_mask);
    x1e = fold(x1e, f, low_mask);
    x1o = fold(x1o, f, low_mask);
  }
  // One dimension: gallery vector b against the probe's (c, a), odd lanes pre-shifted.
  void add(__m256i b, __m256i c, __m256i co, __m256i a, __m256i ao) {
    const __m256i bo = _mm256_srli_epi64(b, 32);
    x0e = _mm256_add_epi64(x0e, _mm256_mul_epu32(b, c));
    x0o = _mm256_add_epi64(x0o, _mm256_mul_epu32(bo, co));
    x1e = _mm256_add_epi64(x1e, _mm256_mul_epu32(b, a));
    x1o = _mm256_add_epi64(x1o, _mm256_mul_epu32(bo, ao));
  }
};

// Blocks g[0..B) (B = 1 or 2) against one probe chunk: the probe's loads
// and shifts are shared by the B blocks.
template <int B>
inline void scan_chunk(const __m256i* const* g, const __m256i* p, std::size_t d, __m256i f,
                       __m256i low_mask, Acc* acc) {
  for (int b = 0; b < B; ++b) acc[b].zero();
  for (std::size_t j0 = 0; j0 < d; j0 += kFoldInterval) {
    if (j0)
      for (int b = 0; b < B; ++b) acc[b].fold_all(f, low_mask);
    const std::size_t j1 = j0 + kFoldInterval < d ? j0 + kFoldInterval : d;
    for (std::size_t j = j0; j < j1; ++j) {
      // One line ahead per line consumed, in each block's stream: the
      // hardware prefetcher alone leaves the loads waiting on DRAM.
      if ((j & 1) == 0)
        for (int b = 0; b < B; ++b)
          _mm_prefetch(reinterpret_cast<const char*>(g[b] + j) + kPrefetchBytes, _MM_HINT_T0);
      const __m256i c = _mm256_load_si256(p + 2 * j), a = _mm256_load_si256(p + 2 * j + 1);
      const __m256i co = _mm256_srli_epi64(c, 32), ao = _mm256_srli_epi64(a, 32);
      for (int b = 0; b < B; ++b) acc[b].add(_mm256_load_si256(g[b] + j), c, co, a, ao);
    }
  }
}

}  // namespace

void scan_group_avx2(const std::uint32_t* const* blocks, std::size_t count,
                     const std::uint32_t* probe, std::size_t d, std::size_t n,
                     std::size_t tile_begin, std::size_t tile_end, const ScanPrimes& primes,
                     std::uint32_t* const* outs) {
  const __m256i low_mask = _mm256_set1_epi64x(0xffffffff);
  for (std::size_t t = tile_begin; t < tile_end; ++t) {
    for (std::size_t l = 0; l < kPrimes; ++l) {
      const std::size_t gofs = (t * kPrimes + l) * gallery_chunk_words(d);
      const __m256i* p =
          reinterpret_cast<const __m256i*>(probe + (t * kPrimes + l) * probe_chunk_words(d));
      const __m256i f = _mm256_set1_epi64x(static_cast<long long>(primes.fold[l]));
      const __m256i q = _mm256_set1_epi64x(static_cast<long long>(primes.q[l]));
      const __m256i nqi = _mm256_set1_epi64x(static_cast<long long>(primes.neg_qinv[l]));
      for (std::size_t b = 0; b < count;) {
        const std::size_t m = count - b >= 2 ? 2 : 1;
        const __m256i* g[2] = {reinterpret_cast<const __m256i*>(blocks[b] + gofs),
                               reinterpret_cast<const __m256i*>(blocks[b + m - 1] + gofs)};
        Acc acc[2];
        if (m == 2) {
          scan_chunk<2>(g, p, d, f, low_mask, acc);
        } else {
          scan_chunk<1>(g, p, d, f, low_mask, acc);
        }
        for (std::size_t i = 0; i < m; ++i) {
          std::uint32_t* out = outs[b + i] + t * kTile;
          finish(acc[i].x0e, acc[i].x0o, f, q, nqi, low_mask, out + (0 * kPrimes + l) * n);
          finish(acc[i].x1e, acc[i].x1o, f, q, nqi, low_mask, out + (1 * kPrimes + l) * n);
        }
        b += m;
      }
    }
  }
}

void scan_tiles_avx2(const std::uint32_t* block, const std::uint32_t* probe, std::size_t d,
                     std::size_t n, std::size_t tile_begin, std::size_t tile_end,
                     const ScanPrimes& primes, std::uint32_t* out) {
  scan_group_avx2(&block, 1, probe, d, n, tile_begin, tile_end, primes, &out);
}

}  // namespace veil::search::kernels
