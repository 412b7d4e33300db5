#include <gtest/gtest.h>

#include "veil/math/primes.h"

using namespace veil::math;

TEST(Primes, MillerRabinKnownValues) {
  EXPECT_FALSE(is_prime(0));
  EXPECT_FALSE(is_prime(1));
  EXPECT_TRUE(is_prime(2));
  EXPECT_TRUE(is_prime(65537));
  EXPECT_TRUE(is_prime((1ull << 61) - 1));
  EXPECT_FALSE(is_prime(3215031751ull));           // strong pseudoprime to 2,3,5,7
  EXPECT_FALSE(is_prime(3825123056546413051ull));  // strong pseudoprime to bases up to 23
  EXPECT_TRUE(is_prime(18446744073709551557ull));  // largest 64-bit prime
}

TEST(Primes, GeneratesNttFriendlyDistinctPrimes) {
  for (int bits : {30, 40, 50, 60}) {
    auto ps = generate_primes(bits, 5, 2 * 8192);
    ASSERT_EQ(ps.size(), 5u);
    for (std::size_t i = 0; i < ps.size(); ++i) {
      EXPECT_TRUE(is_prime(ps[i]));
      EXPECT_EQ(ps[i] % (2 * 8192), 1u);
      EXPECT_EQ(64 - __builtin_clzll(ps[i]), bits);
      for (std::size_t j = 0; j < i; ++j) EXPECT_NE(ps[i], ps[j]);
    }
    auto more = generate_primes(bits, 2, 2 * 8192, ps);
    for (auto p : more) EXPECT_EQ(std::count(ps.begin(), ps.end(), p), 0);
  }
}

TEST(Primes, RefusesImpossibleRequests) {
  EXPECT_THROW(generate_primes(62, 1, 8192), std::invalid_argument);
  EXPECT_THROW(generate_primes(14, 1, 1 << 14), std::invalid_argument);
  EXPECT_THROW(generate_primes(20, 1000, 1 << 15), std::invalid_argument);
}

TEST(Primes, RootOfUnityHasExactOrder) {
  Modulus q(generate_primes(50, 1, 2 * 4096)[0]);
  u64 r = minimal_primitive_root_of_unity(2 * 4096, q);
  EXPECT_EQ(pow_mod(r, 2 * 4096, q), 1u);
  EXPECT_EQ(pow_mod(r, 4096, q), q.value() - 1);
}
