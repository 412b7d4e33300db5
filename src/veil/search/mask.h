// The mask of a gallery block: the `a` its d ciphertexts share (see
// gallery_keys.h). Secret-key galleries keep a 32-byte seed in the block's
// mask region and `a` is expanded from it (ChaCha20, uniform in evaluation
// form), so the mask costs 64 bytes a block at rest and 32 in a response.
// Public-key galleries keep `a` itself, two primes x n words: it is built
// from the enroller's secret randomness and cannot be re-derived.
#pragma once

#include <cstdint>

#include "veil/ring/xof.h"
#include "veil/rlwe/context.h"
#include "veil/search/config.h"

namespace veil::search {

// Words of the mask that leave the server with a block's scores: the seed
// (8 words) or `a` (2 n words).
std::size_t mask_response_words(const SearchConfig& config);

void write_seed_mask(const ring::Seed& seed, std::uint32_t* region);
// `a` from a mask region (or the response words of one), evaluation form
// over the two ciphertext primes.
void mask_from_region(const SearchConfig& config, const rlwe::Context& ctx,
                      const std::uint32_t* region, ring::RnsPoly& a);

}  // namespace veil::search
