// Server-side probe expansion (search::ProbeExpander): the fast fused path
// (expand_fast.h) next to the generic rlwe::Evaluator one it reproduces
// exactly, for d = 16, 32, 128, 512 on 1 and 2 threads.
//
// Each BM_ExpandFast reports `fast_ms` (its median wall time per call),
// `generic_ms` (the generic path's median, measured in this process just
// before), `speedup_vs_generic` (their ratio) and `us_per_node` (fast_ms
// over the d - 1 key-switched nodes, times the thread count gives CPU cost).
// Run: build/bench/veil-bench-search_expand --benchmark_repetitions=5
//        --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/config.h"
#include "veil/search/enroll.h"
#include "veil/search/expand_fast.h"
#include "veil/search/probe.h"
#include "veil/search/quantize.h"

using namespace veil;
using namespace veil::search;

namespace {

struct Fixture {
  SearchConfig config;
  rlwe::ContextPtr ctx;
  rlwe::GaloisKeys keys;
  std::unique_ptr<ProbeExpander> expander;
  EncryptedProbe probe;
  std::unique_ptr<ProbeEncryptor> encryptor;
  std::vector<std::int16_t> values;
  EncryptedProbe pre;  // pre-expanded

  explicit Fixture(std::size_t d)
      : config(SearchConfig::derive({.dimension = d})), ctx(make_context(config)) {
    rlwe::KeyGenerator kg(ctx);
    auto sk = kg.secret_key();
    keys = make_expansion_keys(config, ctx, sk);
    expander = std::make_unique<ProbeExpander>(config, ctx, keys);
    std::mt19937 gen(1);  // benchmark data only
    std::normal_distribution<float> nd;
    std::vector<float> v(d);
    for (auto& x : v) x = nd(gen);
    auto q = quantize_rows(v, d, config.quant_scale);
    encryptor =
        std::make_unique<ProbeEncryptor>(config, ctx, sk, key_id_of(*ctx, kg.public_key(sk)));
    probe = encryptor->encrypt(q.row(0));
    values.assign(q.row(0).begin(), q.row(0).end());
    pre = encryptor->encrypt_expanded(values);
  }
};

Fixture& fixture(std::size_t d) {
  static std::map<std::size_t, std::unique_ptr<Fixture>> cache;
  auto& f = cache[d];
  if (!f) f = std::make_unique<Fixture>(d);
  return *f;
}

double generic_median_ms(Fixture& f, std::size_t threads) {
  static std::map<std::pair<std::size_t, std::size_t>, double> cache;
  auto key = std::make_pair(f.config.dimension, threads);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  std::vector<double> ms;
  const int reps = f.config.dimension >= 256 ? 3 : 7;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    auto w = f.expander->expand_generic(f.probe, threads);
    benchmark::DoNotOptimize(w.data());
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return cache[key] = ms[ms.size() / 2];
}

void BM_ExpandFast(benchmark::State& state) {
  auto& f = fixture(static_cast<std::size_t>(state.range(0)));
  const auto threads = static_cast<std::size_t>(state.range(1));
  const double generic = generic_median_ms(f, threads);
  std::vector<double> ms;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto w = f.expander->expand(f.probe, threads);
    benchmark::DoNotOptimize(w.data());
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms.empty() ? 0.0 : ms[ms.size() / 2];
  const double nodes = static_cast<double>(
      f.config.dimension > 1 ? (std::size_t{1} << f.config.expansion_levels) - 1 : 0);
  state.counters["fast_ms"] = median;
  state.counters["generic_ms"] = generic;
  state.counters["us_per_node"] = nodes > 0 ? 1e3 * median / nodes : 0.0;
  state.counters["speedup_vs_generic"] = median > 0 ? generic / median : 0.0;
}

// The nodes alone (no output written): the fast path minus the layout writes.
void BM_ExpandFastNodesOnly(benchmark::State& state) {
  auto& f = fixture(static_cast<std::size_t>(state.range(0)));
  const auto threads = static_cast<std::size_t>(state.range(1));
  detail::FastExpansion fx(f.config, *f.ctx, f.keys);
  const rlwe::Ciphertext root = rlwe::expand_seeded(*f.ctx, *f.probe.seeded);
  for (auto _ : state) {
    fx.run(root, threads, [](const std::vector<detail::FastExpansion::Output>& b) {
      benchmark::DoNotOptimize(b.data());
    });
  }
}

void BM_ExpandGeneric(benchmark::State& state) {
  auto& f = fixture(static_cast<std::size_t>(state.range(0)));
  const auto threads = static_cast<std::size_t>(state.range(1));
  for (auto _ : state) {
    auto w = f.expander->expand_generic(f.probe, threads);
    benchmark::DoNotOptimize(w.data());
  }
}

// The pre-expanded form (ProbeEncryptor::encrypt_expanded): the querier's d
// seeded encryptions, and the probe words the server (or the key holder)
// makes from them (seed expansion and layout, no key switching).
void BM_PreExpandedEncrypt(benchmark::State& state) {
  auto& f = fixture(static_cast<std::size_t>(state.range(0)));
  const auto threads = static_cast<std::size_t>(state.range(1));
  for (auto _ : state) {
    auto p = f.encryptor->encrypt_expanded(f.values, threads);
    benchmark::DoNotOptimize(p.expanded.data());
  }
}

void BM_PreExpandedWords(benchmark::State& state) {
  auto& f = fixture(static_cast<std::size_t>(state.range(0)));
  const auto threads = static_cast<std::size_t>(state.range(1));
  for (auto _ : state) {
    auto w = f.expander->expand(f.pre, threads);
    benchmark::DoNotOptimize(w.data());
  }
}

void args(benchmark::internal::Benchmark* b) {
  for (long d : {16, 32, 128, 512}) {
    for (long t : {1, 2}) b->Args({d, t});
  }
  b->ArgNames({"d", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

BENCHMARK(BM_ExpandFast)->Apply(args);
BENCHMARK(BM_ExpandFastNodesOnly)->Apply(args);
BENCHMARK(BM_ExpandGeneric)->Apply(args);
BENCHMARK(BM_PreExpandedEncrypt)->Apply(args);
BENCHMARK(BM_PreExpandedWords)->Apply(args);
