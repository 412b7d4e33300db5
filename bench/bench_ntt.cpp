// NTT kernel benchmarks: forward / inverse, lazy or not, scalar vs AVX2, one
// 60-bit limb. Names look like BM_NttForward/scalar/4096.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "veil/math/ntt.h"
#include "veil/math/primes.h"

namespace {

using veil::math::Modulus;
using veil::math::NttKernel;
using veil::math::NttTables;
using veil::math::u64;

const NttTables& tables_for(std::size_t n) {
  static std::vector<std::unique_ptr<NttTables>> cache;
  for (auto& t : cache) {
    if (t->size() == n) return *t;
  }
  Modulus q(veil::math::generate_primes(60, 1, 2 * n)[0]);
  cache.push_back(std::make_unique<NttTables>(n, q));
  return *cache.back();
}

std::vector<u64> random_input(std::size_t n, u64 q) {
  std::mt19937_64 rng(42);
  std::vector<u64> v(n);
  for (auto& x : v) x = rng() % q;
  return v;
}

// The transform is applied in place over and over: forward outputs stay in
// [0, 4q) (valid forward input) and inverse outputs in [0, 2q) (valid inverse
// input), so no reset is needed between iterations.
void run(benchmark::State& state, NttKernel k, bool inverse, bool lazy) {
  if (k == NttKernel::kAvx2 && !veil::math::cpu_has_avx2()) {
    state.SkipWithError("no AVX2 on this CPU");
    return;
  }
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const NttTables& tab = tables_for(n);
  auto a = random_input(n, tab.modulus().value());
  for (auto _ : state) {
    if (inverse) {
      tab.inverse(a.data(), k, lazy);
    } else {
      tab.forward(a.data(), k, lazy);
    }
    benchmark::DoNotOptimize(a.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void register_all() {
  struct Op {
    const char* name;
    bool inverse, lazy;
  };
  const Op ops[] = {{"BM_NttForward", false, false},
                    {"BM_NttForwardLazy", false, true},
                    {"BM_NttInverse", true, false},
                    {"BM_NttInverseLazy", true, true}};
  for (const Op& op : ops) {
    for (NttKernel k : {NttKernel::kScalar, NttKernel::kAvx2}) {
      const std::string name = std::string(op.name) + "/" + veil::math::to_string(k);
      benchmark::RegisterBenchmark(name.c_str(),
                                   [k, op](benchmark::State& s) { run(s, k, op.inverse, op.lazy); })
          ->ArgName("")
          ->Arg(4096)
          ->Arg(8192)
          ->Arg(16384)
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

const int kRegistered = (register_all(), 0);

}  // namespace
