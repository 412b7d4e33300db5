// The AVX2 kernel against the scalar one, and both against a direct sum.
#include <gtest/gtest.h>

#include <random>

#include "veil/math/ntt.h"
#include "veil/search/config.h"
#include "veil/search/layout.h"
#include "veil/search/scan_kernel.h"

namespace veil::search {
namespace {

struct Case {
  std::size_t d;
  bool extreme;  // every residue q - 1: the largest accumulators
};

void run(const Case& c) {
  SearchConfig cfg = SearchConfig::derive({.dimension = 1});
  ScanPrimes primes(cfg.q[0], cfg.q[1]);
  const std::size_t n = 64, d = c.d;  // a short block: 8 tiles
  std::mt19937_64 gen(d * 31 + c.extreme);
  Words block(gallery_words(n, d)), probe(probe_words(n, d));
  auto draw = [&](std::size_t l) {
    const std::uint64_t q = primes.q[l];
    return static_cast<std::uint32_t>(c.extreme ? q - 1 : gen() % q);
  };
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t l = 0; l < 2; ++l)
      for (std::size_t j = 0; j < d; ++j) {
        block[gallery_word(d, k, l, j)] = draw(l);
        for (std::size_t p = 0; p < 2; ++p) probe[probe_word(d, k, l, j, p)] = draw(l);
      }
  std::vector<std::uint32_t> scalar(4 * n), avx(4 * n, 0);
  kernels::scan_tiles_scalar(block.data(), probe.data(), d, n, 0, n / kTile, primes, scalar.data());
  // Direct: 2^-32 * sum mod q with 128-bit arithmetic.
  for (std::size_t l = 0; l < 2; ++l) {
    const math::Modulus& m = primes.mod[l];
    for (std::size_t k = 0; k < n; ++k) {
      math::u64 x[2] = {0, 0};
      for (std::size_t j = 0; j < d; ++j) {
        const math::u64 b = block[gallery_word(d, k, l, j)];
        for (std::size_t p = 0; p < 2; ++p)
          x[p] = math::add_mod(x[p], math::mul_mod(b, probe[probe_word(d, k, l, j, p)], m), m);
      }
      for (std::size_t part = 0; part < 2; ++part) {
        ASSERT_EQ(scalar[(part * 2 + l) * n + k], math::mul_mod(x[part], primes.r_inv[l], m))
            << "d=" << d << " k=" << k << " part " << part;
      }
    }
  }
  if (!math::cpu_has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  kernels::scan_tiles_avx2(block.data(), probe.data(), d, n, 0, n / kTile, primes, avx.data());
  ASSERT_EQ(scalar, avx) << "d=" << d;
}

TEST(ScanKernel, MatchesDirectSumAndAvx2) {
  for (std::size_t d : {1u, 2u, 15u, 16u, 17u, 32u, 33u, 100u, 512u, 4096u}) {
    run({d, false});
    run({d, true});
  }
}

TEST(ScanKernel, TileRangeWritesOnlyItsTiles) {
  SearchConfig cfg = SearchConfig::derive({.dimension = 4});
  ScanPrimes primes(cfg.q[0], cfg.q[1]);
  const std::size_t n = 64, d = 4;
  Words block(gallery_words(n, d), 1), probe(probe_words(n, d), 1);
  std::vector<std::uint32_t> out(4 * n, 0xdeadbeef);
  scan_tiles(default_scan_kernel(), block.data(), probe.data(), d, n, 2, 3, primes, out.data());
  for (std::size_t part = 0; part < 2; ++part)
    for (std::size_t l = 0; l < 2; ++l)
      for (std::size_t k = 0; k < n; ++k) {
        const bool inside = k >= 16 && k < 24;
        EXPECT_EQ(out[(part * 2 + l) * n + k] != 0xdeadbeef, inside) << k;
      }
}

TEST(ScanKernel, GroupsMatchBlockByBlock) {
  // Groups of 1..5 blocks (pairs share the probe's loads, an odd block goes
  // alone) give each block's own result.
  SearchConfig cfg = SearchConfig::derive({.dimension = 1});
  ScanPrimes primes(cfg.q[0], cfg.q[1]);
  const std::size_t n = 64, d = 50;
  std::mt19937_64 gen(5);
  Words probe(probe_words(n, d));
  for (auto& w : probe) w = static_cast<std::uint32_t>(gen() % primes.q[1]);
  std::vector<Words> blocks(5, Words(gallery_words(n, d)));
  for (auto& b : blocks)
    for (auto& w : b) w = static_cast<std::uint32_t>(gen() % primes.q[1]);
  for (ScanKernel k : {ScanKernel::kScalar, default_scan_kernel()}) {
    for (std::size_t count = 1; count <= 5; ++count) {
      std::vector<std::vector<std::uint32_t>> outs(count, std::vector<std::uint32_t>(4 * n));
      std::vector<const std::uint32_t*> in;
      std::vector<std::uint32_t*> out;
      for (std::size_t b = 0; b < count; ++b) {
        in.push_back(blocks[b].data());
        out.push_back(outs[b].data());
      }
      scan_group(k, in.data(), count, probe.data(), d, n, 0, n / kTile, primes, out.data());
      for (std::size_t b = 0; b < count; ++b) {
        std::vector<std::uint32_t> one(4 * n);
        kernels::scan_tiles_scalar(blocks[b].data(), probe.data(), d, n, 0, n / kTile, primes,
                                   one.data());
        ASSERT_EQ(outs[b], one) << to_string(k) << " count " << count << " block " << b;
      }
    }
  }
}

TEST(ScanKernel, RejectsWidePrimes) {
  EXPECT_THROW(ScanPrimes((1ull << 29) + 11, 12289), std::invalid_argument);
}

}  // namespace
}  // namespace veil::search
