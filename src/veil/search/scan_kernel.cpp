#include "veil/search/scan_kernel.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "veil/math/ntt.h"
#include "veil/search/layout.h"

namespace veil::search {

ScanPrimes::ScanPrimes(std::uint64_t q0, std::uint64_t q1) {
  const std::uint64_t qs[2] = {q0, q1};
  for (int l = 0; l < 2; ++l) {
    if (qs[l] >> 29) throw std::invalid_argument("scan: primes must be below 2^29");
    q[l] = qs[l];
    fold[l] = (std::uint64_t{1} << 32) % qs[l];
    mod[l] = math::Modulus(qs[l]);
    // Newton iteration for q^-1 mod 2^32 (q odd).
    std::uint32_t inv = static_cast<std::uint32_t>(qs[l]);
    for (int i = 0; i < 5; ++i) inv *= 2 - static_cast<std::uint32_t>(qs[l]) * inv;
    neg_qinv[l] = static_cast<std::uint32_t>(0u - inv);
    r_inv[l] = math::inv_mod(fold[l], mod[l]);
  }
}

ScanKernel default_scan_kernel() {
  const char* env = std::getenv("VEIL_SCAN_KERNEL");
  if (env && std::strcmp(env, "scalar") == 0) return ScanKernel::kScalar;
  return math::cpu_has_avx2() ? ScanKernel::kAvx2 : ScanKernel::kScalar;
}

std::string to_string(ScanKernel k) { return k == ScanKernel::kAvx2 ? "avx2" : "scalar"; }

void scan_tiles(ScanKernel kernel, const std::uint32_t* block, const std::uint32_t* probe,
                std::size_t d, std::size_t n, std::size_t tile_begin, std::size_t tile_end,
                const ScanPrimes& primes, std::uint32_t* out) {
  if (kernel == ScanKernel::kAvx2) {
    kernels::scan_tiles_avx2(block, probe, d, n, tile_begin, tile_end, primes, out);
  } else {
    kernels::scan_tiles_scalar(block, probe, d, n, tile_begin, tile_end, primes, out);
  }
}

void scan_group(ScanKernel kernel, const std::uint32_t* const* blocks, std::size_t count,
                const std::uint32_t* probe, std::size_t d, std::size_t n, std::size_t tile_begin,
                std::size_t tile_end, const ScanPrimes& primes, std::uint32_t* const* outs) {
  if (kernel == ScanKernel::kAvx2) {
    kernels::scan_group_avx2(blocks, count, probe, d, n, tile_begin, tile_end, primes, outs);
    return;
  }
  for (std::size_t t = tile_begin; t < tile_end; ++t)
    for (std::size_t b = 0; b < count; ++b)
      kernels::scan_tiles_scalar(blocks[b], probe, d, n, t, t + 1, primes, outs[b]);
}

namespace kernels {

void scan_tiles_scalar(const std::uint32_t* block, const std::uint32_t* probe, std::size_t d,
                       std::size_t n, std::size_t tile_begin, std::size_t tile_end,
                       const ScanPrimes& primes, std::uint32_t* out) {
  for (std::size_t t = tile_begin; t < tile_end; ++t) {
    for (std::size_t l = 0; l < kPrimes; ++l) {
      const std::uint32_t* g = block + (t * kPrimes + l) * gallery_chunk_words(d);
      const std::uint32_t* p = probe + (t * kPrimes + l) * probe_chunk_words(d);
      const std::uint64_t fold = primes.fold[l];
      for (std::size_t i = 0; i < kTile; ++i) {
        std::uint64_t x0 = 0, x1 = 0;
        for (std::size_t j = 0; j < d; ++j) {
          if (j && j % kFoldInterval == 0) {
            x0 = (x0 >> 32) * fold + (x0 & 0xffffffffu);
            x1 = (x1 >> 32) * fold + (x1 & 0xffffffffu);
          }
          const std::uint64_t b = g[j * kTile + i];
          x0 += b * p[j * 2 * kTile + i];
          x1 += b * p[j * 2 * kTile + kTile + i];
        }
        const std::size_t k = t * kTile + i;
        const math::Modulus& m = primes.mod[l];
        const math::u64 r = primes.r_inv[l];
        out[(0 * kPrimes + l) * n + k] =
            static_cast<std::uint32_t>(math::mul_mod(m.reduce(x0), r, m));
        out[(1 * kPrimes + l) * n + k] =
            static_cast<std::uint32_t>(math::mul_mod(m.reduce(x1), r, m));
      }
    }
  }
}

}  // namespace kernels
}  // namespace veil::search
