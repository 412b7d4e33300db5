#include <gtest/gtest.h>

#include "test_rng.h"
#include "veil/math/modarith.h"

using namespace veil::math;
using veil::test::uniform_below;

TEST(Modulus, RejectsTooSmallAndTooWide) {
  EXPECT_THROW(Modulus(1), std::invalid_argument);
  EXPECT_THROW(Modulus(1ull << 61), std::invalid_argument);
  EXPECT_NO_THROW(Modulus((1ull << 61) - 1));
}

TEST(Modulus, ReduceMatchesNativeRemainder) {
  for (u64 q : {3ull, 65537ull, 1099511480321ull, (1ull << 61) - 1, 1ull << 40}) {
    Modulus m(q);
    for (int i = 0; i < 20000; ++i) {
      u64 x = veil::test::test_rng()();
      EXPECT_EQ(m.reduce(x), x % q);
      u128 y = (static_cast<u128>(veil::test::test_rng()()) << 64) | veil::test::test_rng()();
      EXPECT_EQ(m.reduce128(y), static_cast<u64>(y % q));
    }
    EXPECT_EQ(m.reduce128(~static_cast<u128>(0)), static_cast<u64>(~static_cast<u128>(0) % q));
  }
}

TEST(Modulus, ShoupMatchesMulMod) {
  Modulus m(1152921504606830593ull);  // 60-bit NTT prime
  for (int i = 0; i < 20000; ++i) {
    u64 a = uniform_below(m.value()), w = uniform_below(m.value());
    MulOperand op(w, m);
    EXPECT_EQ(mul_shoup(a, op, m), mul_mod(a, w, m));
    u64 big = veil::test::test_rng()();  // lazy form accepts any word
    u64 lazy = mul_shoup_lazy(big, op.w, op.w_shoup, m.value());
    EXPECT_LT(lazy, 2 * m.value());
    EXPECT_EQ(lazy % m.value(), mul_mod(m.reduce(big), w, m));
  }
}

TEST(Modulus, InverseAndPower) {
  Modulus m(1099511480321ull);
  for (int i = 0; i < 1000; ++i) {
    u64 a = 1 + uniform_below(m.value() - 1);
    EXPECT_EQ(mul_mod(a, inv_mod(a, m), m), 1u);
  }
  EXPECT_EQ(pow_mod(3, m.value() - 1, m), 1u);  // Fermat
  EXPECT_THROW(inv_mod(6, Modulus(9)), std::invalid_argument);
}

TEST(Modulus, SignedToModIsBranchFreeAndCorrect) {
  const u64 q = 97;
  for (std::int64_t v = -96; v < 97; ++v) {
    EXPECT_EQ(signed_to_mod_ct(v, q), static_cast<u64>((v % 97 + 97) % 97));
  }
}
