// NTT kernel benchmarks: forward / inverse, lazy or not, scalar vs AVX2, one
// 60-bit limb. Names look like BM_NttForward/scalar/4096.
//
// The same for a 30-bit prime (the largest NTT prime below 2^30), where the
// 32-bit-lane kernel avx2_small also runs: BM_NttForward30/avx2_small/4096.
// Its rows carry the counters vs_avx2 and vs_scalar: how many times faster
// it is than the general AVX2 and the scalar kernel on the same tables,
// timed in the same process right after it (thread CPU time, best of 5
// batches each).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <ctime>
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

const NttTables& tables_for(std::size_t n, int bits = 60) {
  static std::vector<std::unique_ptr<NttTables>> cache;
  for (auto& t : cache) {
    if (t->size() == n && t->modulus().bits() == bits) return *t;
  }
  Modulus q(veil::math::generate_primes(bits, 1, 2 * n)[0]);
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
void apply(const NttTables& tab, u64* a, NttKernel k, bool inverse, bool lazy) {
  if (inverse) {
    tab.inverse(a, k, lazy);
  } else {
    tab.forward(a, k, lazy);
  }
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// CPU seconds per transform with kernel k: best of 5 batches of `batch` calls.
double seconds_per_call(const NttTables& tab, std::vector<u64>& a, NttKernel k, bool inverse,
                        bool lazy, int batch) {
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    const double t0 = thread_cpu_seconds();
    for (int i = 0; i < batch; ++i) {
      apply(tab, a.data(), k, inverse, lazy);
      benchmark::DoNotOptimize(a.data());
      benchmark::ClobberMemory();
    }
    best = std::min(best, (thread_cpu_seconds() - t0) / batch);
  }
  return best;
}

void run(benchmark::State& state, NttKernel k, bool inverse, bool lazy, int bits) {
  if (k != NttKernel::kScalar && !veil::math::cpu_has_avx2()) {
    state.SkipWithError("no AVX2 on this CPU");
    return;
  }
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const NttTables& tab = tables_for(n, bits);
  auto a = random_input(n, tab.modulus().value());
  for (auto _ : state) {
    apply(tab, a.data(), k, inverse, lazy);
    benchmark::DoNotOptimize(a.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  if (k == NttKernel::kAvx2Small) {
    const int batch = std::max(10, static_cast<int>(2'000'000 / n));
    const double small = seconds_per_call(tab, a, k, inverse, lazy, batch);
    const double avx2 = seconds_per_call(tab, a, NttKernel::kAvx2, inverse, lazy, batch);
    const double scalar = seconds_per_call(tab, a, NttKernel::kScalar, inverse, lazy, batch);
    state.counters["vs_avx2"] = avx2 / small;
    state.counters["vs_scalar"] = scalar / small;
  }
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
  for (int bits : {60, 30}) {
    for (const Op& op : ops) {
      for (NttKernel k : {NttKernel::kScalar, NttKernel::kAvx2, NttKernel::kAvx2Small}) {
        if (k == NttKernel::kAvx2Small && bits >= 31) continue;
        const std::string name = std::string(op.name) + (bits == 60 ? "" : std::to_string(bits)) +
                                 "/" + veil::math::to_string(k);
        benchmark::RegisterBenchmark(
            name.c_str(),
            [k, op, bits](benchmark::State& s) { run(s, k, op.inverse, op.lazy, bits); })
            ->ArgName("")
            ->Arg(4096)
            ->Arg(8192)
            ->Arg(16384)
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

const int kRegistered = (register_all(), 0);

}  // namespace
