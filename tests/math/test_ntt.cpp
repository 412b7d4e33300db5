#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "test_rng.h"
#include "veil/math/ntt.h"
#include "veil/math/primes.h"

using namespace veil::math;
using veil::test::uniform_below;

namespace {

std::vector<u64> naive_negacyclic(const std::vector<u64>& a, const std::vector<u64>& b,
                                  const Modulus& q) {
  const std::size_t n = a.size();
  std::vector<u64> c(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      u64 p = mul_mod(a[i], b[j], q);
      std::size_t k = i + j;
      if (k < n) {
        c[k] = add_mod(c[k], p, q);
      } else {
        c[k - n] = sub_mod(c[k - n], p, q);
      }
    }
  }
  return c;
}

std::vector<u64> random_poly(std::size_t n, const Modulus& q) {
  std::vector<u64> v(n);
  for (auto& x : v) x = uniform_below(q.value());
  return v;
}

struct NttCase {
  std::size_t n;
  int bits;
};

class NttTest : public ::testing::TestWithParam<std::tuple<NttCase, NttKernel>> {};

}  // namespace

TEST_P(NttTest, ProductMatchesNaiveNegacyclic) {
  auto [c, kernel] = GetParam();
  if (kernel == NttKernel::kAvx2 && !cpu_has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  for (u64 qv : generate_primes(c.bits, 2, 2 * c.n)) {
    Modulus q(qv);
    NttTables tab(c.n, q);
    auto a = random_poly(c.n, q), b = random_poly(c.n, q);
    auto expected = naive_negacyclic(a, b, q);
    tab.forward(a.data(), kernel);
    tab.forward(b.data(), kernel);
    for (std::size_t i = 0; i < c.n; ++i) {
      ASSERT_LT(a[i], qv);
      a[i] = mul_mod(a[i], b[i], q);
    }
    tab.inverse(a.data(), kernel);
    EXPECT_EQ(a, expected) << "n=" << c.n << " q=" << qv;
  }
}

TEST_P(NttTest, RoundTripAndLazyRanges) {
  auto [c, kernel] = GetParam();
  if (kernel == NttKernel::kAvx2 && !cpu_has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  Modulus q(generate_primes(c.bits, 1, 2 * c.n)[0]);
  NttTables tab(c.n, q);
  auto a = random_poly(c.n, q);
  auto orig = a;
  tab.forward(a.data(), kernel, /*lazy=*/true);
  for (u64 x : a) ASSERT_LT(x, 4 * q.value());
  auto ref = orig;
  tab.forward(ref.data(), NttKernel::kScalar);
  for (std::size_t i = 0; i < c.n; ++i) ASSERT_EQ(a[i] % q.value(), ref[i]);
  for (auto& x : a) x %= q.value();
  tab.inverse(a.data(), kernel, /*lazy=*/true);
  for (u64 x : a) ASSERT_LT(x, 2 * q.value());
  for (auto& x : a) x %= q.value();
  EXPECT_EQ(a, orig);
}

TEST_P(NttTest, EvaluatesAtOddPowersInBitReversedOrder) {
  auto [c, kernel] = GetParam();
  if (kernel == NttKernel::kAvx2 && !cpu_has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  Modulus q(generate_primes(c.bits, 1, 2 * c.n)[0]);
  NttTables tab(c.n, q);
  auto a = random_poly(c.n, q);
  auto ev = a;
  tab.forward(ev.data(), kernel);
  const int logn = tab.log_size();
  const std::size_t stride = c.n > 64 ? c.n / 61 : 1;  // ~61 slots keep it O(N)
  for (std::size_t i = 0; i < c.n; i += stride) {
    std::size_t r = 0;
    for (int b = 0; b < logn; ++b) r |= ((i >> b) & 1) << (logn - 1 - b);
    u64 x = pow_mod(tab.root(), 2 * r + 1, q), acc = 0, xp = 1;
    for (std::size_t k = 0; k < c.n; ++k) {
      acc = add_mod(acc, mul_mod(a[k], xp, q), q);
      xp = mul_mod(xp, x, q);
    }
    ASSERT_EQ(ev[i], acc) << "slot " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllSizes, NttTest,
    ::testing::Combine(::testing::Values(NttCase{2, 20}, NttCase{8, 30}, NttCase{64, 40},
                                         NttCase{1024, 50}, NttCase{2048, 60}, NttCase{4096, 61},
                                         NttCase{8192, 55}, NttCase{16384, 50}, NttCase{32768, 59}),
                       ::testing::Values(NttKernel::kScalar, NttKernel::kAvx2)),
    [](const auto& info) {
      auto c = std::get<0>(info.param);
      return "N" + std::to_string(c.n) + "_q" + std::to_string(c.bits) + "_" +
             to_string(std::get<1>(info.param));
    });

TEST(Ntt, RejectsBadSizesAndModuli) {
  EXPECT_THROW(NttTables(1000, Modulus(generate_primes(40, 1, 2048)[0])), std::invalid_argument);
  EXPECT_THROW(NttTables(4096, Modulus(12289)), std::invalid_argument);  // 1 mod 2^12 only
}

namespace {

std::size_t log2_floor(std::size_t v) {
  std::size_t r = 0;
  while (v >>= 1) ++r;
  return r;
}

// Moduli exercising every AVX2 code path: small ones, the largest below 2^60
// (the last "roomy" one), and 61-bit ones on both sides of the range,
// including the smallest NTT prime above 2^60.
std::vector<u64> kernel_test_moduli(std::size_t n) {
  std::vector<u64> qs;
  for (int bits : {20, 31, 32, 33, 45, 50, 52, 59, 60, 61}) {
    if (static_cast<std::size_t>(bits) < log2_floor(2 * n) + 8) continue;  // too few candidates
    for (u64 q : generate_primes(bits, bits >= 60 ? 2 : 1, 2 * n)) qs.push_back(q);
  }
  u64 p = (u64{1} << 60) + 1;
  while (!is_prime(p)) p += 2 * n;
  qs.push_back(p);
  return qs;
}

std::vector<u64> random_below(std::size_t n, u64 bound) {
  std::vector<u64> v(n);
  for (auto& x : v) x = uniform_below(bound);
  return v;
}

// Inputs hitting the ends of the accepted ranges: all zero, all at the top
// of the range, q - 1, and mixes of those with random values.
std::vector<std::vector<u64>> edge_inputs(std::size_t n, u64 q, u64 range) {
  std::vector<std::vector<u64>> in;
  in.emplace_back(n, 0);
  in.emplace_back(n, range - 1);
  in.emplace_back(n, q - 1);
  in.emplace_back(n, q);
  std::vector<u64> alt(n), mix(n);
  for (std::size_t i = 0; i < n; ++i) {
    alt[i] = (i & 1) ? range - 1 : 0;
    mix[i] = (i % 3 == 0) ? range - 1 - uniform_below(4) : uniform_below(range);
  }
  in.push_back(alt);
  in.push_back(mix);
  for (int r = 0; r < 4; ++r) in.push_back(random_below(n, range));
  return in;
}

void expect_kernels_agree(const NttTables& tab, const std::vector<u64>& in, bool inverse,
                          NttKernel kernel = NttKernel::kAvx2) {
  const u64 q = tab.modulus().value();
  const std::size_t n = tab.size();
  auto run = [&](NttKernel k, bool lazy) {
    auto v = in;
    if (inverse) {
      tab.inverse(v.data(), k, lazy);
    } else {
      tab.forward(v.data(), k, lazy);
    }
    return v;
  };
  const auto ref = run(NttKernel::kScalar, false);
  const auto got = run(kernel, false);
  ASSERT_EQ(got, ref) << (inverse ? "inverse" : "forward") << " n=" << n << " q=" << q;
  // Lazy: same range as the scalar kernel, congruent to the reduced result.
  const u64 bound = inverse ? 2 * q : 4 * q;
  const auto lazy_ref = run(NttKernel::kScalar, true);
  const auto lazy = run(kernel, true);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_LT(lazy_ref[i], bound) << "scalar slot " << i << " n=" << n << " q=" << q;
    ASSERT_LT(lazy[i], bound) << to_string(kernel) << " slot " << i << " n=" << n << " q=" << q;
    ASSERT_EQ(lazy[i] % q, ref[i])
        << to_string(kernel) << " slot " << i << " n=" << n << " q=" << q;
    ASSERT_EQ(lazy_ref[i] % q, ref[i]) << "scalar slot " << i << " n=" << n << " q=" << q;
  }
}

}  // namespace

// The AVX2 kernel against the scalar reference for every size, many moduli
// and inputs at the extremes of the accepted ranges ([0, 4q) forward,
// [0, 2q) inverse).
TEST(NttKernels, Avx2MatchesScalarOnAllSizesAndEdgeInputs) {
  if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  for (std::size_t n = 2; n <= 32768; n <<= 1) {
    for (u64 qv : kernel_test_moduli(n)) {
      NttTables tab(n, Modulus(qv));
      for (const auto& in : edge_inputs(n, qv, 4 * qv)) expect_kernels_agree(tab, in, false);
      for (const auto& in : edge_inputs(n, qv, 2 * qv)) expect_kernels_agree(tab, in, true);
      if (HasFatalFailure()) return;
    }
  }
}

// Forward then inverse through the lazy AVX2 entry points, fed each other's
// unreduced outputs as a caller chaining them would do.
TEST(NttKernels, Avx2LazyChainsRoundTrip) {
  if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  for (std::size_t n : {32, 4096, 32768}) {
    for (int bits : {50, 60, 61}) {
      const Modulus q(generate_primes(bits, 1, 2 * n)[0]);
      const u64 qv = q.value();
      NttTables tab(n, q);
      auto a = random_below(n, qv);
      auto v = a;
      for (int r = 0; r < 3; ++r) {
        tab.forward(v.data(), NttKernel::kAvx2, true);  // [0, 4q)
        for (auto& x : v) x %= 2 * qv;                  // valid inverse input
        tab.inverse(v.data(), NttKernel::kAvx2, true);  // [0, 2q)
      }
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_LT(v[i], 2 * qv);
        ASSERT_EQ(v[i] % qv, a[i]) << "n=" << n << " q=" << qv << " slot " << i;
      }
    }
  }
}

// ---- kAvx2Small: primes below 2^30 on 32-bit lanes ----

namespace {

// NTT primes (1 mod 2N) for the small-prime kernel: up to two just below
// 2^30, 2^21 and 2^20, and those in [2^13, 2^17] (several of which, like
// 12289 and 65537, only exist for some N), searched downward from 2^bits.
std::vector<u64> small_test_moduli(std::size_t n) {
  std::vector<u64> qs;
  const u64 step = 2 * n;
  for (int bits : {30, 21, 20, 17, 16, 15, 14}) {
    const u64 top = u64{1} << bits, floor = u64{1} << (bits - 1);
    int found = 0;
    for (u64 p = (top - 1) / step * step + 1; p > floor && found < 2; p -= step) {
      if (p < top && is_prime(p)) {
        qs.push_back(p);
        ++found;
      }
    }
  }
  if (65537 % step == 1) qs.push_back(65537);  // 2^16 + 1, the top of its range
  return qs;
}

bool avx2_or_skip() { return cpu_has_avx2(); }

}  // namespace

TEST(NttSmall, TablesOnlyForPrimesBelow2To30) {
  const std::size_t n = 4096;
  const NttTables small(n, Modulus(generate_primes(30, 1, 2 * n)[0]));
  EXPECT_TRUE(small.has_small_tables());
  const NttTables big(n, Modulus(generate_primes(31, 1, 2 * n)[0]));
  EXPECT_FALSE(big.has_small_tables());
  EXPECT_FALSE(NttTables(8, Modulus(generate_primes(30, 1, 16)[0])).has_small_tables());
  std::vector<u64> a(n, 1);
  EXPECT_THROW(big.forward(a.data(), NttKernel::kAvx2Small), std::invalid_argument);
  EXPECT_THROW(big.inverse(a.data(), NttKernel::kAvx2Small), std::invalid_argument);
  EXPECT_EQ(to_string(NttKernel::kAvx2Small), "avx2_small");
}

// The default entry points pick kAvx2Small for small primes whenever the CPU
// kernel is AVX2, and nothing else; VEIL_NTT_KERNEL=scalar (a CTest variant
// of this test sets it) forces the scalar kernel everywhere.
TEST(NttSmall, DefaultKernelDispatch) {
  const std::size_t n = 4096;
  const NttTables small(n, Modulus(generate_primes(29, 1, 2 * n)[0]));
  const NttTables big(n, Modulus(generate_primes(50, 1, 2 * n)[0]));
  const char* env = std::getenv("VEIL_NTT_KERNEL");
  if (env && std::string(env) == "scalar") {
    EXPECT_EQ(default_ntt_kernel(), NttKernel::kScalar);
    EXPECT_EQ(small.default_kernel(), NttKernel::kScalar);
    EXPECT_EQ(big.default_kernel(), NttKernel::kScalar);
  } else if (cpu_has_avx2()) {
    EXPECT_EQ(small.default_kernel(), NttKernel::kAvx2Small);
    EXPECT_EQ(big.default_kernel(), NttKernel::kAvx2);
  }
  // Whatever was picked, the default entry points give the scalar results.
  for (const NttTables* tab : {&small, &big}) {
    const u64 qv = tab->modulus().value();
    const auto in = random_below(n, 4 * qv);
    auto ref = in, got = in;
    tab->forward(ref.data(), NttKernel::kScalar);
    tab->forward(got.data());
    ASSERT_EQ(got, ref);
    tab->inverse(ref.data(), NttKernel::kScalar);
    tab->inverse(got.data());
    ASSERT_EQ(got, ref);
    auto lazy = in;
    tab->forward_lazy(lazy.data());
    for (u64& x : lazy) x %= 2 * qv;
    tab->inverse_lazy(lazy.data());
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_LT(lazy[i], 2 * qv);
      ASSERT_EQ(lazy[i] % qv, in[i] % qv);
    }
  }
}

// Against the scalar reference for every size from 16 to 32768 (and the
// scalar fallback below), with inputs at the ends of the accepted ranges:
// forward [0, 4q) (values up to 4q - 1 < 2^32), inverse [0, 2q).
TEST(NttSmall, MatchesScalarOnAllSizesAndEdgeInputs) {
  if (!avx2_or_skip()) GTEST_SKIP() << "no AVX2 on this CPU";
  for (std::size_t n = 2; n <= 32768; n <<= 1) {
    const auto moduli = small_test_moduli(n);
    ASSERT_GE(moduli.size(), n >= 1024 ? 5u : 1u) << "n=" << n;
    for (u64 qv : moduli) {
      ASSERT_LT(qv, kSmallPrimeLimit);
      NttTables tab(n, Modulus(qv));
      ASSERT_EQ(tab.has_small_tables(), n >= 16);
      for (const auto& in : edge_inputs(n, qv, 4 * qv)) {
        expect_kernels_agree(tab, in, false, NttKernel::kAvx2Small);
      }
      for (const auto& in : edge_inputs(n, qv, 2 * qv)) {
        expect_kernels_agree(tab, in, true, NttKernel::kAvx2Small);
      }
      if (HasFatalFailure()) return;
    }
  }
}

// Negacyclic products through the small kernel match the schoolbook ones.
TEST(NttSmall, ProductMatchesNaiveNegacyclic) {
  if (!avx2_or_skip()) GTEST_SKIP() << "no AVX2 on this CPU";
  for (std::size_t n : {16, 64, 1024}) {
    for (u64 qv : small_test_moduli(n)) {
      const Modulus q(qv);
      NttTables tab(n, q);
      auto a = random_poly(n, q), b = random_poly(n, q);
      const auto expected = naive_negacyclic(a, b, q);
      tab.forward(a.data(), NttKernel::kAvx2Small);
      tab.forward(b.data(), NttKernel::kAvx2Small);
      for (std::size_t i = 0; i < n; ++i) a[i] = mul_mod(a[i], b[i], q);
      tab.inverse(a.data(), NttKernel::kAvx2Small);
      ASSERT_EQ(a, expected) << "n=" << n << " q=" << qv;
    }
  }
}

// Lazy forward and inverse chained as a caller would chain them, starting
// from inputs at the top of the forward range.
TEST(NttSmall, LazyChainsRoundTrip) {
  if (!avx2_or_skip()) GTEST_SKIP() << "no AVX2 on this CPU";
  for (std::size_t n : {16, 1024, 4096, 32768}) {
    for (u64 qv : small_test_moduli(n)) {
      NttTables tab(n, Modulus(qv));
      std::vector<u64> a(n);
      for (std::size_t i = 0; i < n; ++i) a[i] = (i % 5 == 0) ? 4 * qv - 1 : uniform_below(4 * qv);
      auto v = a;
      for (int r = 0; r < 3; ++r) {
        tab.forward(v.data(), NttKernel::kAvx2Small, true);  // [0, 4q)
        for (u64 x : v) ASSERT_LT(x, 4 * qv);
        for (auto& x : v) x %= 2 * qv;                       // valid inverse input
        tab.inverse(v.data(), NttKernel::kAvx2Small, true);  // [0, 2q)
      }
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_LT(v[i], 2 * qv);
        ASSERT_EQ(v[i] % qv, a[i] % qv) << "n=" << n << " q=" << qv << " slot " << i;
      }
      // Non-lazy round trip: exactly the reduced input.
      auto u = a;
      tab.forward(u.data(), NttKernel::kAvx2Small);
      for (u64 x : u) ASSERT_LT(x, qv);
      tab.inverse(u.data(), NttKernel::kAvx2Small);
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(u[i], a[i] % qv) << "n=" << n << " slot " << i;
    }
  }
}
