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

namespace kernels {

void scan_tiles_scalar(const std::uint32_t* block, const std::uint32_t* probe, std::size_t d,
                       std::size_t n, std::size_t tile_begin, std::size_t tile_end,
                       const ScanPrimes& primes, std::uint32_t* out) {
  for (std::size_t t = tile_begin; t < tile_end; ++t) {
    for (std::size_t l = 0; l < kPrimes; ++l) {
      const std::uint32_t* g = block + (t * kPrimes + l) * chunk_words(d);
      const std::uint32_t* p = probe + (t * kPrimes + l) * chunk_words(d);
      const std::uint64_t fold = primes.fold[l];
      for (std::size_t i = 0; i < kTile; ++i) {
        std::uint64_t e0 = 0, e1 = 0, e2 = 0;
        for (std::size_t j = 0; j < d; ++j) {
          if (j && j % kFoldInterval == 0) {
            e0 = (e0 >> 32) * fold + (e0 & 0xffffffffu);
            e1 = (e1 >> 32) * fold + (e1 & 0xffffffffu);
            e2 = (e2 >> 32) * fold + (e2 & 0xffffffffu);
          }
          const std::uint64_t gb = g[j * 16 + i], ga = g[j * 16 + 8 + i];
          const std::uint64_t pb = p[j * 16 + i], pa = p[j * 16 + 8 + i];
          e0 += gb * pb;
          e1 += ga * pb + gb * pa;
          e2 += ga * pa;
        }
        const std::size_t k = t * kTile + i;
        const math::Modulus& m = primes.mod[l];
        const math::u64 r = primes.r_inv[l];
        out[(0 * kPrimes + l) * n + k] =
            static_cast<std::uint32_t>(math::mul_mod(m.reduce(e0), r, m));
        out[(1 * kPrimes + l) * n + k] =
            static_cast<std::uint32_t>(math::mul_mod(m.reduce(e1), r, m));
        out[(2 * kPrimes + l) * n + k] =
            static_cast<std::uint32_t>(math::mul_mod(m.reduce(e2), r, m));
      }
    }
  }
}

}  // namespace kernels
}  // namespace veil::search
