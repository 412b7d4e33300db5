#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "test_rng.h"
#include "veil/math/batch_layout.h"
#include "veil/math/galois.h"
#include "veil/math/ntt.h"
#include "veil/math/primes.h"

using namespace veil::math;
using veil::test::uniform_below;

namespace {

std::vector<u64> random_vec(std::size_t n, u64 t) {
  std::vector<u64> v(n);
  for (auto& x : v) x = uniform_below(t);
  return v;
}

std::vector<u64> naive_negacyclic(const std::vector<u64>& a, const std::vector<u64>& b,
                                  const Modulus& q) {
  const std::size_t n = a.size();
  std::vector<u64> c(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const u64 p = mul_mod(a[i], b[j], q);
      const std::size_t k = i + j;
      if (k < n) {
        c[k] = add_mod(c[k], p, q);
      } else {
        c[k - n] = sub_mod(c[k - n], p, q);
      }
    }
  }
  return c;
}

u64 naive_eval(const std::vector<u64>& a, u64 x, const Modulus& q) {
  u64 r = 0;
  for (std::size_t i = a.size(); i-- > 0;) r = add_mod(mul_mod(r, x, q), a[i], q);
  return r;
}

struct Layout {
  std::size_t n;
  Modulus t;
  NttTables tab;
  std::vector<std::uint32_t> map;
  Layout(std::size_t n_, u64 t_)
      : n(n_), t(t_), tab(n_, Modulus(t_)), map(batch_slot_to_ntt_index(n_)) {}
  std::vector<u64> encode(const std::vector<u64>& slots) const {
    std::vector<u64> c(n);
    batch_encode(slots.data(), c.data(), map, tab);
    return c;
  }
  std::vector<u64> decode(const std::vector<u64>& coeffs) const {
    std::vector<u64> s(n);
    batch_decode(coeffs.data(), s.data(), map, tab);
    return s;
  }
};

// (N, t) pairs: t = 65537 supports N up to 2^15; the others are other primes = 1 mod 2N.
std::vector<std::pair<std::size_t, u64>> cases() {
  std::vector<std::pair<std::size_t, u64>> out;
  for (std::size_t n : {2u, 4u, 8u, 16u, 256u, 4096u, 32768u}) out.push_back({n, 65537});
  for (std::size_t n : {8u, 1024u, 8192u}) {
    out.push_back({n, generate_primes(20, 1, 2 * n)[0]});
    out.push_back({n, generate_primes(60, 1, 2 * n)[0]});
  }
  out.push_back({64, 786433});  // 3 * 2^18 + 1
  return out;
}

}  // namespace

TEST(BatchLayout, MapIsAPermutationMatchingDirectEvaluation) {
  for (auto [n, tv] : cases()) {
    Layout L(n, tv);
    auto sorted = L.map;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(sorted[i], i) << "n=" << n;
    if (n > 256) continue;
    // Slot (r, c) is the evaluation at psi^(+-3^c).
    const u64 psi = L.tab.root();
    auto a = random_vec(n, tv);
    auto s = L.decode(a);
    u64 e = 1;
    for (std::size_t c = 0; c < n / 2; ++c) {
      EXPECT_EQ(s[c], naive_eval(a, pow_mod(psi, e, L.t), L.t)) << "n=" << n << " c=" << c;
      EXPECT_EQ(s[n / 2 + c], naive_eval(a, pow_mod(psi, 2 * n - e, L.t), L.t));
      e = (e * 3) % (2 * n);
    }
  }
}

TEST(BatchLayout, RoundTrip) {
  for (auto [n, tv] : cases()) {
    Layout L(n, tv);
    auto slots = random_vec(n, tv);
    auto coeffs = L.encode(slots);
    for (u64 x : coeffs) ASSERT_LT(x, tv);
    EXPECT_EQ(L.decode(coeffs), slots) << "n=" << n << " t=" << tv;
    auto poly = random_vec(n, tv);
    EXPECT_EQ(L.encode(L.decode(poly)), poly);
  }
  // A constant slot vector is the constant polynomial.
  Layout L(16, 65537);
  auto c = L.encode(std::vector<u64>(16, 42));
  EXPECT_EQ(c[0], 42u);
  for (std::size_t i = 1; i < 16; ++i) EXPECT_EQ(c[i], 0u);
}

TEST(BatchLayout, AutomorphismsRotateColumnsAndSwapRows) {
  for (auto [n, tv] : cases()) {
    Layout L(n, tv);
    const std::size_t half = n / 2;
    auto slots = random_vec(n, tv);
    auto coeffs = L.encode(slots);
    std::vector<u64> rotated(n);
    // Left rotations by k via 3^k, right rotations via negative steps.
    std::vector<int> steps = {0, 1, 2, 5, -1, -3, static_cast<int>(half) - 1};
    for (int k : steps) {
      if (k >= static_cast<int>(half) || -k >= static_cast<int>(half)) continue;
      const u64 g = galois_elt_from_step(k, n, 3);
      apply_galois_coeff(coeffs.data(), rotated.data(), n, g, L.t);
      auto got = L.decode(rotated);
      for (std::size_t r = 0; r < 2; ++r) {
        for (std::size_t c = 0; c < half; ++c) {
          // k may be negative: src = (c + k) mod N/2.
          const auto src = static_cast<std::size_t>(static_cast<long>(c + half) + k) % half;
          ASSERT_EQ(got[r * half + c], slots[r * half + src])
              << "n=" << n << " t=" << tv << " k=" << k << " r=" << r << " c=" << c;
        }
      }
      // The NTT-domain permutation does the same without leaving evaluation form.
      auto v = coeffs;
      L.tab.forward(v.data());
      std::vector<u64> w(n);
      apply_galois_ntt(v.data(), w.data(), galois_ntt_permutation(n, g), n);
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(w[L.map[i]], got[i]);
    }
    // Row swap.
    apply_galois_coeff(coeffs.data(), rotated.data(), n, galois_elt_conjugate(n), L.t);
    auto got = L.decode(rotated);
    for (std::size_t c = 0; c < half; ++c) {
      ASSERT_EQ(got[c], slots[half + c]) << "n=" << n << " c=" << c;
      ASSERT_EQ(got[half + c], slots[c]) << "n=" << n << " c=" << c;
    }
  }
}

TEST(BatchLayout, SlotwiseProductIsPolynomialProduct) {
  for (auto [n, tv] : cases()) {
    if (n > 1024) continue;  // naive product is O(N^2)
    Layout L(n, tv);
    auto a = random_vec(n, tv), b = random_vec(n, tv);
    std::vector<u64> ab(n), apb(n);
    for (std::size_t i = 0; i < n; ++i) {
      ab[i] = mul_mod(a[i], b[i], L.t);
      apb[i] = add_mod(a[i], b[i], L.t);
    }
    auto pa = L.encode(a), pb = L.encode(b);
    EXPECT_EQ(L.decode(naive_negacyclic(pa, pb, L.t)), ab) << "n=" << n << " t=" << tv;
    std::vector<u64> sum(n);
    for (std::size_t i = 0; i < n; ++i) sum[i] = add_mod(pa[i], pb[i], L.t);
    EXPECT_EQ(L.decode(sum), apb);
  }
}

TEST(BatchLayout, RefusesBadInput) {
  EXPECT_THROW(batch_slot_to_ntt_index(0), std::invalid_argument);
  EXPECT_THROW(batch_slot_to_ntt_index(1), std::invalid_argument);
  EXPECT_THROW(batch_slot_to_ntt_index(12), std::invalid_argument);
  Layout L(16, 65537);
  std::vector<u64> s(16, 1), c(16);
  auto short_map = batch_slot_to_ntt_index(8);
  EXPECT_THROW(batch_encode(s.data(), c.data(), short_map, L.tab), std::invalid_argument);
  EXPECT_THROW(batch_decode(s.data(), c.data(), short_map, L.tab), std::invalid_argument);
  s[3] = 65537;
  try {
    batch_encode(s.data(), c.data(), L.map, L.tab);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("65537"), std::string::npos) << e.what();
  }
  EXPECT_THROW(batch_decode(s.data(), c.data(), L.map, L.tab), std::invalid_argument);
  // t must be 1 mod 2N (NttTables refuses it; 102 is not a multiple of 32).
  EXPECT_THROW(NttTables(16, Modulus(103)), std::invalid_argument);
}
