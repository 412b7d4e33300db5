#include "veil/search/mask.h"

#include <cstring>

#include "veil/ring/sampler.h"
#include "veil/search/layout.h"

namespace veil::search {

namespace {
constexpr std::uint64_t kMaskDomain = 0x4d41534b;  // "MASK"
}

std::size_t mask_response_words(const SearchConfig& config) {
  return config.gallery == Encryption::kSecretKey ? 8 : kPrimes * config.n;
}

void write_seed_mask(const ring::Seed& seed, std::uint32_t* region) {
  std::memset(region, 0, 16 * sizeof(std::uint32_t));
  std::memcpy(region, seed.data(), seed.size());
}

void mask_from_region(const SearchConfig& config, const rlwe::Context& ctx,
                      const std::uint32_t* region, ring::RnsPoly& a) {
  const auto& basis = ctx.basis_q(1);
  if (config.gallery == Encryption::kSecretKey) {
    ring::Seed seed;
    std::memcpy(seed.data(), region, seed.size());
    ring::Xof xof(seed, kMaskDomain);
    ring::sample_uniform(xof, basis, ring::Form::kEval, a);
    return;
  }
  a = ring::RnsPoly(config.n, kPrimes, ring::Form::kEval);
  for (std::size_t l = 0; l < kPrimes; ++l)
    for (std::size_t k = 0; k < config.n; ++k) a.limb(l)[k] = region[l * config.n + k];
}

}  // namespace veil::search
