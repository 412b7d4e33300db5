// The scoring kernel: for each coefficient of a block, the degree-2 product
// of the gallery ciphertexts with the expanded probe, summed over the d
// dimensions, with lazy 64-bit accumulation:
//
//   e0 = sum_j b_j b'_j,  e1 = sum_j (a_j b'_j + b_j a'_j),  e2 = sum_j a_j a'_j
//
// Residues are below 2^29, so a product is below 2^58 and an accumulator can
// take 16 dimensions (32 products) before it is folded once:
// x -> (x >> 32) * (2^32 mod q) + (x mod 2^32), which keeps it below 2^62.
// No NTT and no relinearisation: (e0, e1, e2) decrypts with (1, s, s^2).
// The last step is a Montgomery reduction (x -> x 2^-32 mod q), one multiply
// pair per lane; the expanded probe carries the factor 2^32 (see
// ProbeExpander::expand), so the output is the plain sum mod q.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "veil/math/modarith.h"

namespace veil::search {

inline constexpr std::size_t kFoldInterval = 16;

struct ScanPrimes {
  std::uint64_t q[2];
  std::uint64_t fold[2];      // 2^32 mod q
  std::uint64_t neg_qinv[2];  // -q^-1 mod 2^32 (Montgomery)
  std::uint64_t r_inv[2];     // 2^-32 mod q
  math::Modulus mod[2];
  ScanPrimes(std::uint64_t q0, std::uint64_t q1);
};

enum class ScanKernel { kScalar, kAvx2 };
// AVX2 when the CPU has it unless VEIL_SCAN_KERNEL=scalar.
ScanKernel default_scan_kernel();
std::string to_string(ScanKernel k);

// Tiles [tile_begin, tile_end) of one block. `out` receives the reduced
// residues of 2^-32 (e0, e1, e2): out[(part * 2 + prime) * n + k], evaluation form.
void scan_tiles(ScanKernel kernel, const std::uint32_t* block, const std::uint32_t* probe,
                std::size_t d, std::size_t n, std::size_t tile_begin, std::size_t tile_end,
                const ScanPrimes& primes, std::uint32_t* out);

namespace kernels {
void scan_tiles_scalar(const std::uint32_t* block, const std::uint32_t* probe, std::size_t d,
                       std::size_t n, std::size_t tile_begin, std::size_t tile_end,
                       const ScanPrimes& primes, std::uint32_t* out);
void scan_tiles_avx2(const std::uint32_t* block, const std::uint32_t* probe, std::size_t d,
                     std::size_t n, std::size_t tile_begin, std::size_t tile_end,
                     const ScanPrimes& primes, std::uint32_t* out);
}  // namespace kernels

}  // namespace veil::search
