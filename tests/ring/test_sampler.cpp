#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "ring_fixture.h"
#include "veil/ring/poly_ops.h"
#include "veil/ring/sampler.h"

using namespace veil;
using namespace veil::ring;

TEST(Xof, SameSeedSameStreamDomainsDiffer) {
  Seed s{};
  s[0] = 7;
  Xof a(s, 1), b(s, 1), c(s, 2);
  std::vector<std::uint8_t> x(10000), y(10000), z(10000);
  a.fill(x.data(), x.size());
  b.fill(y.data(), 3);  // uneven chunks give the same stream
  b.fill(y.data() + 3, y.size() - 3);
  c.fill(z.data(), z.size());
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
}

TEST(Xof, FreshSeedsDiffer) {
  EXPECT_NE(random_seed(), random_seed());
  auto a = Xof::fresh(), b = Xof::fresh();
  EXPECT_NE(a.next_u64(), b.next_u64());
}

TEST(Sampler, UniformIsInRangeAndCoversIt) {
  test::TestBasis tb(4096, {30, 61});
  auto xof = Xof::fresh();
  RnsPoly p;
  sample_uniform(xof, tb.basis, Form::kEval, p);
  EXPECT_EQ(p.form(), Form::kEval);
  EXPECT_TRUE(residues_in_range(p, tb.basis));
  for (std::size_t l = 0; l < 2; ++l) {
    // The mean of uniform values is q/2 within a few standard errors.
    long double mean = 0, q = tb.basis.modulus(l).value();
    for (std::size_t j = 0; j < 4096; ++j) mean += p.limb(l)[j] / q;
    mean /= 4096;
    EXPECT_NEAR(static_cast<double>(mean), 0.5, 5 * 0.2887 / 64);
  }
}

TEST(Sampler, TernaryHasThreeBalancedValues) {
  auto xof = Xof::fresh();
  std::vector<std::int64_t> v(30000);
  sample_ternary_values(xof, v.size(), v.data());
  std::map<std::int64_t, int> hist;
  for (auto x : v) hist[x]++;
  ASSERT_EQ(hist.size(), 3u);
  for (auto [val, count] : hist) {
    EXPECT_GE(val, -1);
    EXPECT_LE(val, 1);
    EXPECT_NEAR(count, 10000, 5 * 82);  // binomial sd ~ 81.6
  }
}

TEST(Sampler, GaussianHasSigmaAndBound) {
  auto xof = Xof::fresh();
  std::vector<std::int64_t> v(200000);
  sample_gaussian_values(xof, v.size(), v.data());
  double sum = 0, sq = 0;
  for (auto x : v) {
    ASSERT_LE(std::abs(x), kNoiseBound);
    sum += x;
    sq += static_cast<double>(x) * x;
  }
  double mean = sum / v.size(), sd = std::sqrt(sq / v.size() - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(sd, kNoiseStdDev, 0.03);
}

TEST(Sampler, SmallValuesSpreadConsistentlyAcrossLimbs) {
  test::TestBasis tb(1024, {40, 50});
  auto xof = Xof::fresh();
  RnsPoly p;
  sample_ternary(xof, tb.basis, p);
  EXPECT_EQ(p.form(), Form::kCoeff);
  for (std::size_t j = 0; j < 1024; ++j) {
    auto a = p.limb(0)[j], b = p.limb(1)[j];
    auto qa = tb.basis.modulus(0).value(), qb = tb.basis.modulus(1).value();
    std::int64_t sa =
        a > qa / 2 ? -static_cast<std::int64_t>(qa - a) : static_cast<std::int64_t>(a);
    std::int64_t sb =
        b > qb / 2 ? -static_cast<std::int64_t>(qb - b) : static_cast<std::int64_t>(b);
    ASSERT_EQ(sa, sb);
    ASSERT_LE(std::abs(sa), 1);
  }
}
