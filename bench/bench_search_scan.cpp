// The search scan kernel: compute throughput on a cache-resident block
// (scalar vs AVX2, same process) and streaming throughput over a gallery far
// larger than the caches next to a plain AVX2 read of the same bytes (the
// memory-bandwidth roofline). Counters: ns per template-dimension, GB/s.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <random>

#include "veil/math/ntt.h"
#include "veil/search/config.h"
#include "veil/search/layout.h"
#include "veil/search/parallel.h"
#include "veil/search/scan_kernel.h"

namespace {

using namespace veil::search;

Words random_words(std::size_t words, std::uint64_t q_max, std::uint64_t seed) {
  std::mt19937_64 gen(seed);  // benchmark data
  Words w(words);
  for (auto& x : w) x = static_cast<std::uint32_t>(gen() % q_max);
  return w;
}

void BM_ScanKernelBlock(benchmark::State& state, ScanKernel kernel) {
  const std::size_t d = static_cast<std::size_t>(state.range(0)), n = 4096;
  if (kernel == ScanKernel::kAvx2 && !veil::math::cpu_has_avx2()) {
    state.SkipWithError("no AVX2");
    return;
  }
  SearchConfig c = SearchConfig::derive({.dimension = d});
  ScanPrimes primes(c.q[0], c.q[1]);
  Words block = random_words(gallery_words(n, d), c.q[1], 1),
        probe = random_words(probe_words(n, d), c.q[1], 2);
  std::vector<std::uint32_t> out(4 * n);
  // 256 coefficients: gallery and probe share stay in L2, so this is the
  // kernel's compute rate, not a memory rate.
  const std::size_t tiles = 256 / kTile;
  for (auto _ : state) {
    scan_tiles(kernel, block.data(), probe.data(), d, n, 0, tiles, primes, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["ns_per_template_dim"] =
      benchmark::Counter(static_cast<double>(tiles * kTile * d) * state.iterations(),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_ScanKernelBlock, scalar, ScanKernel::kScalar)
    ->Arg(32)
    ->Arg(128)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ScanKernelBlock, avx2, ScanKernel::kAvx2)
    ->Arg(32)
    ->Arg(128)
    ->Unit(benchmark::kMicrosecond);

// 1 GiB of gallery (d = 64: 512 blocks of 2 MiB), scanned
// on `threads` threads, and the same bytes read by a plain AVX2 loop.
constexpr std::size_t kStreamD = 64, kStreamBlocks = 512;

struct Gallery {
  SearchConfig config = SearchConfig::derive({.dimension = kStreamD});
  std::vector<Words> blocks;
  Words probe;
  Gallery() {
    for (std::size_t b = 0; b < kStreamBlocks; ++b)
      blocks.push_back(random_words(config.block_words(), config.q[1], b));
    probe = random_words(probe_words(config.n, kStreamD), config.q[1], 999);
  }
};
Gallery& gallery() {
  static Gallery g;
  return g;
}

void BM_ScanStream(benchmark::State& state) {
  Gallery& g = gallery();
  const std::size_t threads = static_cast<std::size_t>(state.range(0)), n = g.config.n,
                    d = kStreamD;
  ScanPrimes primes(g.config.q[0], g.config.q[1]);
  std::vector<std::uint32_t> out(threads * 4 * n);
  for (auto _ : state) {
    parallel_for(kStreamBlocks, threads, [&](std::size_t b, std::size_t t) {
      scan_tiles(default_scan_kernel(), g.blocks[b].data() + g.config.mask_words(), g.probe.data(),
                 d, n, 0, n / kTile, primes, out.data() + t * 4 * n);
    });
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["GBps"] = benchmark::Counter(
      static_cast<double>(kStreamBlocks * g.config.block_bytes()) * state.iterations() / 1e9,
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScanStream)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// Groups of B blocks per thread, tile by tile (scan_group, as the server
// does): the probe's tile is read once from memory per group.
void BM_ScanStreamGrouped(benchmark::State& state) {
  Gallery& g = gallery();
  const std::size_t threads = static_cast<std::size_t>(state.range(0)), n = g.config.n,
                    d = kStreamD, group = static_cast<std::size_t>(state.range(1));
  ScanPrimes primes(g.config.q[0], g.config.q[1]);
  std::vector<std::uint32_t> out(threads * group * 4 * n);
  for (auto _ : state) {
    parallel_for(kStreamBlocks / group, threads, [&](std::size_t item, std::size_t t) {
      std::vector<const std::uint32_t*> in;
      std::vector<std::uint32_t*> outs;
      for (std::size_t b = 0; b < group; ++b) {
        in.push_back(g.blocks[item * group + b].data() + g.config.mask_words());
        outs.push_back(out.data() + (t * group + b) * 4 * n);
      }
      scan_group(default_scan_kernel(), in.data(), group, g.probe.data(), d, n, 0, n / kTile,
                 primes, outs.data());
    });
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["GBps"] = benchmark::Counter(
      static_cast<double>(kStreamBlocks * g.config.block_bytes()) * state.iterations() / 1e9,
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScanStreamGrouped)
    ->Args({2, 1})
    ->Args({2, 2})
    ->Args({2, 4})
    ->Args({2, 8})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

__attribute__((target("avx2"))) std::uint64_t read_all(const std::uint32_t* p, std::size_t words) {
  const __m256i* v = reinterpret_cast<const __m256i*>(p);
  __m256i a = _mm256_setzero_si256(), b = a;
  for (std::size_t i = 0; i + 2 <= words / 8; i += 2) {
    a = _mm256_add_epi64(a, _mm256_load_si256(v + i));
    b = _mm256_add_epi64(b, _mm256_load_si256(v + i + 1));
  }
  return static_cast<std::uint64_t>(_mm256_extract_epi64(_mm256_add_epi64(a, b), 0));
}

void BM_ReadBandwidth(benchmark::State& state) {
  Gallery& g = gallery();
  const std::size_t threads = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint64_t> sink(kStreamBlocks);
  for (auto _ : state) {
    parallel_for(kStreamBlocks, threads, [&](std::size_t b, std::size_t) {
      sink[b] = read_all(g.blocks[b].data(), g.blocks[b].size());
    });
    benchmark::DoNotOptimize(sink.data());
  }
  state.counters["GBps"] = benchmark::Counter(
      static_cast<double>(kStreamBlocks * g.config.block_bytes()) * state.iterations() / 1e9,
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
