#include <gtest/gtest.h>

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
                                         NttCase{1024, 50}, NttCase{2048, 60},
                                         NttCase{4096, 61}, NttCase{8192, 55},
                                         NttCase{16384, 50}, NttCase{32768, 59}),
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
