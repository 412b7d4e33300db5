// The scoring kernel: for each coefficient of a block, the products of the
// gallery's `b` halves with the expanded probe (c_j, a'_j), summed over the d
// dimensions, with lazy 64-bit accumulation:
//
//   x0 = sum_j b_j c_j,  x1 = sum_j b_j a'_j
//
// The gallery's `a` halves are one shared mask per block (mask.h), so they
// are neither stored per dimension nor read here: the key holder adds their
// contribution. Residues are below 2^29, so a product is below 2^58. A fold
// x -> (x >> 32) * (2^32 mod q) + (x mod 2^32) leaves x below 2^61 + 2^32,
// so an accumulator takes 48 products between folds and stays below
// 2^61 + 2^32 + 48 * 2^58 < 2^64.
// No NTT and no relinearisation in the loop.
// The last step is a Montgomery reduction (x -> x 2^-32 mod q), one multiply
// pair per lane; the expanded probe carries the factor 2^32 (see
// ProbeExpander::expand), so the output is the plain sum mod q.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "veil/math/modarith.h"

namespace veil::search {

inline constexpr std::size_t kFoldInterval = 48;

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

// Tiles [tile_begin, tile_end) of one block's `b` words (layout.h). `out`
// receives the reduced residues of (x0, x1): out[(part * 2 + prime) * n + k],
// evaluation form.
void scan_tiles(ScanKernel kernel, const std::uint32_t* block, const std::uint32_t* probe,
                std::size_t d, std::size_t n, std::size_t tile_begin, std::size_t tile_end,
                const ScanPrimes& primes, std::uint32_t* out);

// The same for `count` blocks at once (outs[i] for blocks[i]): tile by
// tile, block after block within a tile, so the probe's tile is read from
// memory once for the group (see SearchServer::score).
void scan_group(ScanKernel kernel, const std::uint32_t* const* blocks, std::size_t count,
                const std::uint32_t* probe, std::size_t d, std::size_t n, std::size_t tile_begin,
                std::size_t tile_end, const ScanPrimes& primes, std::uint32_t* const* outs);

namespace kernels {
void scan_tiles_scalar(const std::uint32_t* block, const std::uint32_t* probe, std::size_t d,
                       std::size_t n, std::size_t tile_begin, std::size_t tile_end,
                       const ScanPrimes& primes, std::uint32_t* out);
void scan_tiles_avx2(const std::uint32_t* block, const std::uint32_t* probe, std::size_t d,
                     std::size_t n, std::size_t tile_begin, std::size_t tile_end,
                     const ScanPrimes& primes, std::uint32_t* out);
void scan_group_avx2(const std::uint32_t* const* blocks, std::size_t count,
                     const std::uint32_t* probe, std::size_t d, std::size_t n,
                     std::size_t tile_begin, std::size_t tile_end, const ScanPrimes& primes,
                     std::uint32_t* const* outs);
}  // namespace kernels

}  // namespace veil::search
