// Memory layout of a gallery block and of an expanded probe.
//
// A block holds, for one group of n templates, the d ciphertexts
// (c0, c1) = (b, a) of the dimension-major packing, in evaluation form, two
// RNS primes, one u32 per residue. The kernel reads, for a tile of 8
// coefficients and one prime, the d dimensions one after another:
//
//   word(k, l, j, p) = ((((k / 8) * 2 + l) * d + j) * 2 + p) * 8 + k % 8
//
// with k the coefficient (template slot), l the prime, j the dimension and
// p 0 for b, 1 for a. A chunk (tile, prime) is d * 64 contiguous bytes, so a
// scan streams the block front to back. The expanded probe uses the same
// layout with one "block" of d constant-message ciphertexts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "veil/ring/rns_poly.h"

namespace veil::search {

inline constexpr std::size_t kTile = 8;
inline constexpr std::size_t kPrimes = 2;

using Words = std::vector<std::uint32_t, ring::PolyAllocator<std::uint32_t>>;

inline std::size_t word_index(std::size_t d, std::size_t k, std::size_t l, std::size_t j,
                              std::size_t p) {
  return ((((k / kTile) * kPrimes + l) * d + j) * 2 + p) * kTile + k % kTile;
}

// Words of one (tile, prime) chunk.
inline std::size_t chunk_words(std::size_t d) { return d * 2 * kTile; }

}  // namespace veil::search
