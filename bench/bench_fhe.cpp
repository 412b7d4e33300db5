// FHE operation benchmarks at the largest 128-bit modulus chains (the same
// chain sizes as Microsoft SEAL's defaults), for CKKS and BGV parameter sets.
//
// Each benchmark reports `seal_us` (SEAL 4.4's median on one core of this
// machine class, from the project's reference measurements) and
// `speedup_vs_seal` = seal_us / our median, so the JSON carries the ratio.
// Run: build/bench/veil-bench-fhe --benchmark_repetitions=5
//        --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <string>

#include "veil/math/galois.h"
#include "veil/ring/poly_ops.h"
#include "veil/ring/sampler.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/evaluator.h"
#include "veil/rlwe/keygen.h"

using namespace veil;
using namespace veil::rlwe;

namespace {

ParameterLiteral chain(Scheme scheme, std::size_t n) {
  ParameterLiteral lit;
  lit.scheme = scheme;
  lit.n = n;
  if (n == 4096) {
    lit.q_bits = {36, 36};
    lit.p_bits = 37;
  } else if (n == 8192) {
    lit.q_bits = {43, 43, 44, 44};
    lit.p_bits = 44;
  } else {
    lit.q_bits = {48, 48, 48, 49, 49, 49, 49, 49};
    lit.p_bits = 49;
  }
  if (scheme == Scheme::kBgv) lit.t = 65537;
  return lit;
}

// Everything one benchmark needs, built once per (scheme, N).
struct Fixture {
  ContextPtr ctx;
  SecretKey sk;
  PublicKey pk;
  RelinKey rk;
  GaloisKeys gk;
  std::uint64_t rot_elt;
  Plaintext pt;
  Ciphertext ct, ct2, ct3;
  std::unique_ptr<Encryptor> enc_pk, enc_sk;
  std::unique_ptr<Decryptor> dec;
  std::unique_ptr<Evaluator> eval;

  Fixture(Scheme scheme, std::size_t n) {
    ctx = Context::create(chain(scheme, n));
    KeyGenerator kg(ctx);
    sk = kg.secret_key();
    pk = kg.public_key(sk);
    rk = kg.relin_key(sk);
    rot_elt = math::galois_elt_from_step(1, n, scheme == Scheme::kCkks ? 5 : 3);
    gk = kg.galois_keys(sk, {rot_elt});
    // A random plaintext polynomial stands for an encoded message: the
    // operations below cost the same whatever it holds.
    auto xof = ring::Xof::fresh();
    pt.param_id = ctx->id();
    pt.level = ctx->max_level();
    pt.scale = scheme == Scheme::kCkks ? std::ldexp(1.0, 20) : 1.0;
    ring::sample_uniform(xof, ctx->basis_q(pt.level), ring::Form::kEval, pt.poly);
    enc_pk = std::make_unique<Encryptor>(ctx, pk);
    enc_sk = std::make_unique<Encryptor>(ctx, sk);
    dec = std::make_unique<Decryptor>(ctx, sk);
    eval = std::make_unique<Evaluator>(ctx);
    ct = enc_sk->encrypt(pt);
    ct2 = enc_sk->encrypt(pt);
    eval->multiply(ct, ct2, ct3);
  }
};

Fixture& fixture(Scheme scheme, std::size_t n) {
  static std::map<std::pair<int, std::size_t>, std::unique_ptr<Fixture>> cache;
  auto& f = cache[{static_cast<int>(scheme), n}];
  if (!f) f = std::make_unique<Fixture>(scheme, n);
  return *f;
}

// SEAL 4.4 medians (us) on one core of this machine class: CKKS, N = 4096/8192/16384.
const std::map<std::string, std::array<double, 3>> kSealCkksUs = {
    {"encrypt_sk", {529, 1778, 6680}}, {"encrypt_pk", {1255, 3769, 13132}},
    {"decrypt", {40, 161, 644}},       {"multiply_plain", {58, 236, 959}},
    {"multiply", {123, 504, 2058}},    {"relinearize", {706, 3620, 23582}},
    {"rescale", {186, 859, 3642}},     {"rotate", {717, 3691, 23130}},
};

void report(benchmark::State& state, Scheme scheme, std::size_t n, const std::string& op) {
  if (scheme != Scheme::kCkks) return;
  auto it = kSealCkksUs.find(op);
  if (it == kSealCkksUs.end()) return;
  const int idx = n == 4096 ? 0 : n == 8192 ? 1 : 2;
  state.counters["seal_us"] = it->second[idx];
  // Google Benchmark divides kIsIterationInvariantRate counters by the time;
  // the speed-up is (seal seconds) / (our seconds per iteration).
  state.counters["speedup_vs_seal"] =
      benchmark::Counter(it->second[idx] * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
}

template <typename Body>
void run(benchmark::State& state, Scheme scheme, const std::string& op, Body body) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  Fixture& f = fixture(scheme, n);
  for (auto _ : state) body(f);
  report(state, scheme, n, op);
}

#define VEIL_FHE_BENCH(scheme_tag, scheme, op, body)     \
  void BM_##scheme_tag##_##op(benchmark::State& state) { \
    run(state, scheme, #op, [](Fixture & f) body);       \
  }                                                      \
  BENCHMARK(BM_##scheme_tag##_##op)                      \
      ->Arg(4096)                                        \
      ->Arg(8192)                                        \
      ->Arg(16384)                                       \
      ->Unit(benchmark::kMicrosecond);

#define VEIL_FHE_BENCH_BOTH(op, body)           \
  VEIL_FHE_BENCH(ckks, Scheme::kCkks, op, body) \
  VEIL_FHE_BENCH(bgv, Scheme::kBgv, op, body)

VEIL_FHE_BENCH_BOTH(encrypt_sk, { benchmark::DoNotOptimize(f.enc_sk->encrypt(f.pt)); })
VEIL_FHE_BENCH_BOTH(encrypt_sk_seeded,
                    { benchmark::DoNotOptimize(f.enc_sk->encrypt_seeded(f.pt)); })
VEIL_FHE_BENCH_BOTH(encrypt_pk, { benchmark::DoNotOptimize(f.enc_pk->encrypt(f.pt)); })
VEIL_FHE_BENCH_BOTH(decrypt, { benchmark::DoNotOptimize(f.dec->decrypt(f.ct)); })
VEIL_FHE_BENCH_BOTH(add, {
  Ciphertext r;
  f.eval->add(f.ct, f.ct2, r);
  benchmark::DoNotOptimize(r);
})
VEIL_FHE_BENCH_BOTH(multiply_plain, {
  Ciphertext r;
  f.eval->multiply_plain(f.ct, f.pt, r);
  benchmark::DoNotOptimize(r);
})
VEIL_FHE_BENCH_BOTH(multiply, {
  Ciphertext r;
  f.eval->multiply(f.ct, f.ct2, r);
  benchmark::DoNotOptimize(r);
})
VEIL_FHE_BENCH_BOTH(relinearize, {
  Ciphertext r;
  f.eval->relinearize(f.ct3, f.rk, r);
  benchmark::DoNotOptimize(r);
})
// CKKS rescale and BGV modulus switch are the same operation: divide by the last prime.
VEIL_FHE_BENCH(ckks, Scheme::kCkks, rescale, {
  Ciphertext r;
  f.eval->divide_by_last_prime(f.ct, r);
  benchmark::DoNotOptimize(r);
})
VEIL_FHE_BENCH(bgv, Scheme::kBgv, mod_switch, {
  Ciphertext r;
  f.eval->divide_by_last_prime(f.ct, r);
  benchmark::DoNotOptimize(r);
})
VEIL_FHE_BENCH_BOTH(rotate, {
  Ciphertext r;
  f.eval->apply_galois(f.ct, f.rot_elt, f.gk, r);
  benchmark::DoNotOptimize(r);
})

}  // namespace
