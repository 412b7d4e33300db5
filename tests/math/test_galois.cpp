#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "test_rng.h"
#include "veil/math/bitops.h"
#include "veil/math/galois.h"
#include "veil/math/ntt.h"
#include "veil/math/primes.h"

using namespace veil::math;
using veil::test::uniform_below;

namespace {

std::vector<u64> random_poly(std::size_t n, const Modulus& q) {
  std::vector<u64> v(n);
  for (auto& x : v) x = uniform_below(q.value());
  return v;
}

std::vector<u64> galois_coeff(const std::vector<u64>& a, u64 g, const Modulus& q) {
  std::vector<u64> out(a.size());
  apply_galois_coeff(a.data(), out.data(), a.size(), g, q);
  return out;
}

// A few odd Galois elements for degree n, including the edge cases.
std::vector<u64> sample_elts(std::size_t n) {
  const u64 two_n = 2 * n;
  std::vector<u64> gs = {1, 3, 5, two_n - 1, two_n - 3, n + 1, n - 1};
  for (int i = 0; i < 4; ++i) gs.push_back(2 * uniform_below(n) + 1);
  return gs;
}

u64 naive_pow_mod(u64 b, u64 e, u64 m) {
  u64 r = 1 % m;
  for (u64 i = 0; i < e; ++i) r = (r * b) % m;
  return r;
}

}  // namespace

TEST(Galois, ElementFromStep) {
  for (std::size_t n : {4u, 8u, 64u, 4096u, 32768u}) {
    const u64 two_n = 2 * n;
    for (u64 gen : {3u, 5u}) {
      EXPECT_EQ(galois_elt_from_step(0, n, gen), 1u);
      const int half = static_cast<int>(n / 2);
      for (int step : {1, 2, 3, half - 1, -1, -2, -(half - 1)}) {
        if (step <= -half || step >= half) continue;
        const u64 g = galois_elt_from_step(step, n, gen);
        EXPECT_EQ(g % 2, 1u);
        EXPECT_LT(g, two_n);
        const u64 g_neg = galois_elt_from_step(-step, n, gen);
        EXPECT_EQ((g * g_neg) % two_n, 1u) << "n=" << n << " step=" << step;
        if (step > 0) {
          EXPECT_EQ(g, naive_pow_mod(gen, step, two_n));
        } else {
          // A right rotation by s equals a left rotation by N/2 - s (order of gen is N/2).
          EXPECT_EQ(g, naive_pow_mod(gen, half + step, two_n));
        }
      }
    }
    EXPECT_EQ(galois_elt_conjugate(n), two_n - 1);
  }
  // The generator is reduced mod 2N; an odd generator larger than 2N is fine.
  EXPECT_EQ(galois_elt_from_step(1, 8, 21), 5u);
}

TEST(Galois, GeneratorsHaveOrderHalfN) {
  for (std::size_t n : {8u, 1024u}) {
    for (u64 gen : {3u, 5u}) {
      u64 g = 1;
      for (std::size_t k = 1; k < n / 2; ++k) {
        g = (g * gen) % (2 * n);
        EXPECT_NE(g, 1u);
        EXPECT_NE(g, 2 * n - 1);  // -1 is never a power of 3 or 5
      }
      EXPECT_EQ((g * gen) % (2 * n), 1u);
    }
  }
}

TEST(Galois, RefusesBadInput) {
  Modulus q(generate_primes(30, 1, 2 * 16)[0]);
  std::vector<u64> a(16, 1), b(16);
  for (u64 g : {0u, 2u, 16u, 32u, 33u, 1000u}) {
    EXPECT_THROW(apply_galois_coeff(a.data(), b.data(), 16, g, q), std::invalid_argument) << g;
    EXPECT_THROW(galois_ntt_permutation(16, g), std::invalid_argument) << g;
  }
  try {
    galois_ntt_permutation(16, 6);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("got 6"), std::string::npos) << e.what();
  }
  EXPECT_THROW(apply_galois_coeff(a.data(), b.data(), 12, 3, q), std::invalid_argument);
  EXPECT_THROW(apply_galois_coeff(a.data(), a.data(), 16, 3, q), std::invalid_argument);
  EXPECT_THROW(apply_galois_coeff(a.data(), a.data() + 4, 8, 3, q), std::invalid_argument);
  EXPECT_THROW(galois_elt_from_step(1, 16, 4), std::invalid_argument);
  EXPECT_THROW(galois_elt_from_step(8, 16, 5), std::invalid_argument);
  EXPECT_THROW(galois_elt_from_step(-8, 16, 5), std::invalid_argument);
  EXPECT_NO_THROW(galois_elt_from_step(7, 16, 5));
  EXPECT_NO_THROW(galois_elt_from_step(-7, 16, 5));
  try {
    galois_elt_from_step(9, 16, 5);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("got 9"), std::string::npos) << e.what();
  }
  EXPECT_THROW(galois_elt_from_step(1, 12, 5), std::invalid_argument);
  EXPECT_THROW(galois_elt_conjugate(0), std::invalid_argument);
  auto perm = galois_ntt_permutation(16, 3);
  EXPECT_THROW(apply_galois_ntt(a.data(), b.data(), perm, 8), std::invalid_argument);
  EXPECT_THROW(apply_galois_ntt(a.data(), a.data(), perm, 16), std::invalid_argument);
}

TEST(Galois, MonomialsMoveWithSign) {
  const std::size_t n = 32;
  Modulus q(generate_primes(30, 1, 2 * n)[0]);
  for (u64 g : sample_elts(n)) {
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<u64> a(n, 0);
      a[i] = 7;
      auto b = galois_coeff(a, g, q);
      const u64 e = (i * g) % (2 * n);
      for (std::size_t k = 0; k < n; ++k) {
        u64 want = 0;
        if (k == e) want = 7;
        if (k + n == e) want = q.value() - 7;
        ASSERT_EQ(b[k], want) << "g=" << g << " i=" << i << " k=" << k;
      }
    }
  }
}

TEST(Galois, IdentityAndRealOverloadAgree) {
  const std::size_t n = 64;
  Modulus q(generate_primes(40, 1, 2 * n)[0]);
  auto a = random_poly(n, q);
  EXPECT_EQ(galois_coeff(a, 1, q), a);
  auto perm = galois_ntt_permutation(n, 1);
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(perm[i], i);

  // The double overload is the same signed permutation.
  std::vector<double> x(n), y(n);
  std::vector<u64> xi(n);
  for (std::size_t i = 0; i < n; ++i) {
    const int v = static_cast<int>(uniform_below(2001)) - 1000;
    x[i] = v;
    xi[i] = v >= 0 ? static_cast<u64>(v) : q.value() - static_cast<u64>(-v);
  }
  for (u64 g : sample_elts(n)) {
    apply_galois_coeff(x.data(), y.data(), n, g);
    auto yi = galois_coeff(xi, g, q);
    for (std::size_t i = 0; i < n; ++i) {
      const u64 want = y[i] >= 0 ? static_cast<u64>(y[i]) : q.value() - static_cast<u64>(-y[i]);
      ASSERT_EQ(yi[i], want);
    }
  }
}

TEST(Galois, NttPermutationMatchesCoefficientAutomorphism) {
  for (std::size_t n : {2u, 4u, 8u, 256u, 4096u}) {
    for (u64 qv : generate_primes(50, 2, 2 * n)) {
      Modulus q(qv);
      NttTables tab(n, q);
      for (u64 g : sample_elts(n)) {
        if (g >= 2 * n) continue;
        auto perm = galois_ntt_permutation(n, g);
        // perm is a permutation.
        auto sorted = perm;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(sorted[i], i);

        auto a = random_poly(n, q);
        auto expected = galois_coeff(a, g, q);
        tab.forward(expected.data());
        auto a_ntt = a;
        tab.forward(a_ntt.data());
        std::vector<u64> got(n);
        apply_galois_ntt(a_ntt.data(), got.data(), perm, n);
        ASSERT_EQ(got, expected) << "n=" << n << " q=" << qv << " g=" << g;
      }
    }
  }
}

TEST(Galois, CompositionIsMultiplicationMod2N) {
  const std::size_t n = 512;
  Modulus q(generate_primes(45, 1, 2 * n)[0]);
  NttTables tab(n, q);
  for (int trial = 0; trial < 10; ++trial) {
    const u64 g = 2 * uniform_below(n) + 1, h = 2 * uniform_below(n) + 1;
    const u64 gh = (g * h) % (2 * n);
    auto a = random_poly(n, q);
    // Coefficient form: sigma_g(sigma_h(a)) = sigma_gh(a).
    EXPECT_EQ(galois_coeff(galois_coeff(a, h, q), g, q), galois_coeff(a, gh, q));
    // NTT form: composing permutations.
    auto pg = galois_ntt_permutation(n, g), ph = galois_ntt_permutation(n, h);
    auto pgh = galois_ntt_permutation(n, gh);
    tab.forward(a.data());
    std::vector<u64> t1(n), t2(n), t3(n);
    apply_galois_ntt(a.data(), t1.data(), ph, n);
    apply_galois_ntt(t1.data(), t2.data(), pg, n);
    apply_galois_ntt(a.data(), t3.data(), pgh, n);
    EXPECT_EQ(t2, t3);
  }
  // Rotation steps add: sigma_{5^a} sigma_{5^b} = sigma_{5^(a+b)}.
  auto a = random_poly(n, q);
  const u64 g3 = galois_elt_from_step(3, n, 5), g4 = galois_elt_from_step(4, n, 5);
  const u64 g7 = galois_elt_from_step(7, n, 5), gm7 = galois_elt_from_step(-7, n, 5);
  EXPECT_EQ(galois_coeff(galois_coeff(a, g3, q), g4, q), galois_coeff(a, g7, q));
  EXPECT_EQ(galois_coeff(galois_coeff(a, g7, q), gm7, q), a);
  const u64 conj = galois_elt_conjugate(n);
  EXPECT_EQ(galois_coeff(galois_coeff(a, conj, q), conj, q), a);
}
