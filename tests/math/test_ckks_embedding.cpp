#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <vector>

#include "test_rng.h"
#include "veil/math/ckks_embedding.h"
#include "veil/math/galois.h"

using namespace veil::math;
using cd = std::complex<double>;

namespace {

double uniform(double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(veil::test::test_rng());
}

std::vector<cd> random_slots(std::size_t m) {
  std::vector<cd> z(m);
  for (auto& x : z) x = {uniform(-1, 1), uniform(-1, 1)};
  return z;
}

std::vector<double> random_coeffs(std::size_t n) {
  std::vector<double> c(n);
  for (auto& x : c) x = uniform(-1, 1);
  return c;
}

double max_abs(const std::vector<cd>& z) {
  double m = 0;
  for (auto x : z) m = std::max(m, std::abs(x));
  return m;
}

// max |a - b| / max |b|.
double rel_err(const std::vector<cd>& a, const std::vector<cd>& b) {
  double e = 0;
  for (std::size_t i = 0; i < a.size(); ++i) e = std::max(e, std::abs(a[i] - b[i]));
  return e / max_abs(b);
}

// Naive O(N^2) decode in long double: slot j = m(zeta^(5^j mod 2N)).
std::vector<cd> naive_decode(const std::vector<double>& m) {
  const std::size_t n = m.size(), two_n = 2 * n;
  std::vector<cd> out(n / 2);
  std::size_t e = 1;
  for (std::size_t j = 0; j < n / 2; ++j) {
    long double re = 0, im = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const long double ang = std::numbers::pi_v<long double> *
                              static_cast<long double>((e * k) % two_n) /
                              static_cast<long double>(n);
      re += m[k] * std::cos(ang);
      im += m[k] * std::sin(ang);
    }
    out[j] = {static_cast<double>(re), static_cast<double>(im)};
    e = (e * 5) % two_n;
  }
  return out;
}

// Real negacyclic product (naive).
std::vector<double> negacyclic(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = a.size();
  std::vector<double> c(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      if (i + j < n) {
        c[i + j] += a[i] * b[j];
      } else {
        c[i + j - n] -= a[i] * b[j];
      }
    }
  }
  return c;
}

}  // namespace

TEST(CkksEmbedding, DecodeMatchesNaiveEvaluation) {
  for (std::size_t n : {4u, 8u, 16u, 64u, 256u, 1024u}) {
    CkksEmbedding emb(n);
    ASSERT_EQ(emb.degree(), n);
    ASSERT_EQ(emb.slot_count(), n / 2);
    for (int trial = 0; trial < 3; ++trial) {
      auto m = random_coeffs(n);
      EXPECT_LT(rel_err(emb.decode(m), naive_decode(m)), 1e-13) << "n=" << n;
      // Encode agrees with the naive evaluation too.
      auto z = random_slots(n / 2);
      EXPECT_LT(rel_err(naive_decode(emb.encode(z)), z), 1e-13) << "n=" << n;
    }
  }
}

TEST(CkksEmbedding, SmallCaseByHand) {
  // N = 4: zeta = exp(i*pi/4); slots at zeta^1 and zeta^5 = -zeta.
  CkksEmbedding emb(4);
  // m(X) = X: slots are zeta, -zeta.
  auto z = emb.decode(std::vector<double>{0, 1, 0, 0});
  const cd zeta = std::polar(1.0, std::numbers::pi / 4);
  EXPECT_LT(std::abs(z[0] - zeta), 1e-15);
  EXPECT_LT(std::abs(z[1] + zeta), 1e-15);
  // Constant polynomial c: every slot is c.
  auto k = emb.encode(std::vector<cd>{2.5, 2.5});
  EXPECT_NEAR(k[0], 2.5, 1e-15);
  for (int i = 1; i < 4; ++i) EXPECT_NEAR(k[i], 0, 1e-15);
}

TEST(CkksEmbedding, RoundTripsUpTo32768) {
  for (std::size_t n : {4u, 8u, 32u, 512u, 4096u, 16384u, 32768u}) {
    CkksEmbedding emb(n);
    auto z = random_slots(n / 2);
    auto m = emb.encode(z);
    auto z2 = emb.decode(m);
    const double e1 = rel_err(z2, z);
    EXPECT_LT(e1, 1e-12) << "n=" << n;
    // And the other direction, coefficients -> slots -> coefficients.
    auto c = random_coeffs(n);
    auto c2 = emb.encode(emb.decode(c));
    double e2 = 0;
    for (std::size_t i = 0; i < n; ++i) e2 = std::max(e2, std::abs(c2[i] - c[i]));
    EXPECT_LT(e2, 1e-12) << "n=" << n;
    // Large magnitudes (as after scaling by Delta) keep the same relative error.
    for (auto& x : z) x *= std::ldexp(1.0, 40);
    EXPECT_LT(rel_err(emb.decode(emb.encode(z)), z), 1e-12) << "n=" << n;
  }
}

TEST(CkksEmbedding, RealSlotsGiveSelfConjugatePolynomial) {
  for (std::size_t n : {8u, 128u, 8192u}) {
    CkksEmbedding emb(n);
    std::vector<cd> z(n / 2);
    for (auto& x : z) x = uniform(-10, 10);
    auto m = emb.encode(z);
    // Real slots <=> m is fixed by X -> X^{-1}.
    std::vector<double> mc(n);
    apply_galois_coeff(m.data(), mc.data(), n, galois_elt_conjugate(n));
    for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(mc[i], m[i], 1e-12) << "n=" << n;
    auto back = emb.decode(m);
    for (std::size_t j = 0; j < n / 2; ++j) {
      EXPECT_NEAR(back[j].real(), z[j].real(), 1e-11);
      EXPECT_NEAR(back[j].imag(), 0.0, 1e-11);
    }
  }
}

TEST(CkksEmbedding, AutomorphismsRotateAndConjugate) {
  for (std::size_t n : {4u, 8u, 64u, 1024u, 8192u}) {
    CkksEmbedding emb(n);
    const std::size_t m = n / 2;
    auto z = random_slots(m);
    auto coeffs = emb.encode(z);
    std::vector<double> moved(n);
    const int half = static_cast<int>(m);
    for (int k : {0, 1, 2, 3, half - 1, -1, -2, -(half - 1)}) {
      if (k >= half || -k >= half) continue;
      const std::uint64_t g = galois_elt_from_step(k, n, 5);
      apply_galois_coeff(coeffs.data(), moved.data(), n, g);
      auto got = emb.decode(moved);
      std::vector<cd> want(m);
      for (std::size_t j = 0; j < m; ++j) {
        want[j] = z[static_cast<std::size_t>(static_cast<long>(j + m) + k) % m];
      }
      EXPECT_LT(rel_err(got, want), 1e-12) << "n=" << n << " k=" << k;
    }
    apply_galois_coeff(coeffs.data(), moved.data(), n, galois_elt_conjugate(n));
    auto got = emb.decode(moved);
    std::vector<cd> want(m);
    for (std::size_t j = 0; j < m; ++j) want[j] = std::conj(z[j]);
    EXPECT_LT(rel_err(got, want), 1e-12) << "n=" << n;
  }
}

TEST(CkksEmbedding, SlotwiseProductIsPolynomialProduct) {
  for (std::size_t n : {8u, 256u}) {
    CkksEmbedding emb(n);
    auto a = random_slots(n / 2), b = random_slots(n / 2);
    std::vector<cd> ab(n / 2);
    for (std::size_t j = 0; j < n / 2; ++j) ab[j] = a[j] * b[j];
    auto prod = negacyclic(emb.encode(a), emb.encode(b));
    EXPECT_LT(rel_err(emb.decode(prod), ab), 1e-12) << "n=" << n;
  }
}

TEST(CkksEmbedding, RefusesBadInput) {
  for (std::size_t n : {0u, 1u, 2u, 6u, 100u}) {
    try {
      CkksEmbedding emb(n);
      FAIL() << n;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("got " + std::to_string(n)), std::string::npos)
          << e.what();
    }
  }
  CkksEmbedding emb(16);
  EXPECT_THROW(emb.decode(std::vector<double>(8)), std::invalid_argument);
  EXPECT_THROW(emb.encode(std::vector<cd>(16)), std::invalid_argument);
}
