// Memory layout of a gallery block and of an expanded probe.
//
// A gallery block holds, for one group of n templates, the mask region (see
// mask.h: the seed of the block's shared `a`, or `a` itself for public-key
// galleries) followed by the `b` halves of the d ciphertexts of the
// dimension-major packing, in evaluation form, two RNS primes, one u32 per
// residue. The kernel reads, for a tile of 8 coefficients and one prime, the
// d dimensions one after another:
//
//   gallery_word(k, l, j) = (((k / 8) * 2 + l) * d + j) * 8 + k % 8
//
// with k the coefficient (template slot), l the prime and j the dimension. A
// chunk (tile, prime) is d * 32 contiguous bytes, so a scan streams the
// block front to back.
//
// The expanded probe keeps both halves (c, a') of each of its d
// constant-message ciphertexts, interleaved per dimension:
//
//   probe_word(k, l, j, p) = ((((k / 8) * 2 + l) * d + j) * 2 + p) * 8 + k % 8
//
// with p 0 for c, 1 for a'.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "veil/ring/rns_poly.h"

namespace veil::search {

inline constexpr std::size_t kTile = 8;
inline constexpr std::size_t kPrimes = 2;

using Words = std::vector<std::uint32_t, ring::PolyAllocator<std::uint32_t>>;

inline std::size_t gallery_word(std::size_t d, std::size_t k, std::size_t l, std::size_t j) {
  return (((k / kTile) * kPrimes + l) * d + j) * kTile + k % kTile;
}
inline std::size_t probe_word(std::size_t d, std::size_t k, std::size_t l, std::size_t j,
                              std::size_t p) {
  return ((((k / kTile) * kPrimes + l) * d + j) * 2 + p) * kTile + k % kTile;
}

// Words of one (tile, prime) chunk.
inline std::size_t gallery_chunk_words(std::size_t d) { return d * kTile; }
inline std::size_t probe_chunk_words(std::size_t d) { return 2 * d * kTile; }

// The gallery's `b` words of a block, and the expanded probe's words.
inline std::size_t gallery_words(std::size_t n, std::size_t d) { return kPrimes * n * d; }
inline std::size_t probe_words(std::size_t n, std::size_t d) { return 2 * kPrimes * n * d; }

}  // namespace veil::search
