#include <gtest/gtest.h>

#include "ring_fixture.h"
#include "test_rng.h"
#include "veil/ring/poly_ops.h"

using namespace veil;
using namespace veil::ring;

namespace {
RnsPoly random_poly(const RnsBasis& b, Form f) {
  RnsPoly p(b.n(), b.size(), f);
  for (std::size_t i = 0; i < b.size(); ++i)
    for (std::size_t j = 0; j < b.n(); ++j)
      p.limb(i)[j] = test::uniform_below(b.modulus(i).value());
  return p;
}
}  // namespace

TEST(PolyOps, AddSubNegateAreConsistent) {
  test::TestBasis tb(256, {50, 40, 60});
  auto a = random_poly(tb.basis, Form::kCoeff), b = random_poly(tb.basis, Form::kCoeff);
  RnsPoly s, d, n, back;
  add(a, b, s, tb.basis);
  sub(s, b, back, tb.basis);
  EXPECT_EQ(back, a);
  negate(a, n, tb.basis);
  add(a, n, d, tb.basis);
  for (std::size_t i = 0; i < d.word_count(); ++i) ASSERT_EQ(d.data()[i], 0u);
  EXPECT_TRUE(residues_in_range(s, tb.basis));
}

TEST(PolyOps, EvalProductIsNegacyclicProduct) {
  test::TestBasis tb(64, {40, 45});
  auto a = random_poly(tb.basis, Form::kCoeff), b = random_poly(tb.basis, Form::kCoeff);
  // Naive product per limb.
  RnsPoly expect(64, 2, Form::kCoeff);
  for (std::size_t l = 0; l < 2; ++l) {
    const auto& m = tb.basis.modulus(l);
    for (std::size_t i = 0; i < 64; ++i)
      for (std::size_t j = 0; j < 64; ++j) {
        auto p = math::mul_mod(a.limb(l)[i], b.limb(l)[j], m);
        auto& c = expect.limb(l)[(i + j) % 64];
        c = (i + j < 64) ? math::add_mod(c, p, m) : math::sub_mod(c, p, m);
      }
  }
  to_eval(a, tb.basis);
  to_eval(b, tb.basis);
  RnsPoly c;
  multiply(a, b, c, tb.basis);
  RnsPoly acc = c;
  multiply_accumulate(a, b, acc, tb.basis);  // acc = 2ab
  to_coeff(c, tb.basis);
  EXPECT_EQ(c, expect);
  to_coeff(acc, tb.basis);
  RnsPoly twice;
  add(expect, expect, twice, tb.basis);
  EXPECT_EQ(acc, twice);
}

TEST(PolyOps, ScalarMultiplyAndShapeErrors) {
  test::TestBasis tb(32, {30, 31});
  auto a = random_poly(tb.basis, Form::kEval);
  std::vector<math::u64> c = {3, 5};
  RnsPoly out;
  multiply_scalar(a, c, out, tb.basis);
  for (std::size_t l = 0; l < 2; ++l)
    for (std::size_t j = 0; j < 32; ++j)
      ASSERT_EQ(out.limb(l)[j], math::mul_mod(a.limb(l)[j], c[l], tb.basis.modulus(l)));
  RnsPoly wrong(32, 1, Form::kEval);
  EXPECT_THROW(add(a, wrong, out, tb.basis), std::invalid_argument);
  RnsPoly coeff = random_poly(tb.basis, Form::kCoeff);
  EXPECT_THROW(multiply(a, coeff, out, tb.basis), std::invalid_argument);
  EXPECT_THROW(add(a, coeff, out, tb.basis), std::invalid_argument);
  EXPECT_THROW(to_coeff(coeff, tb.basis), std::invalid_argument);
}

TEST(PolyOps, DropToKeepsPrefixAndZeroises) {
  test::TestBasis tb(16, {30, 31, 32});
  auto a = random_poly(tb.basis, Form::kCoeff);
  auto copy = a;
  a.drop_to(2);
  EXPECT_EQ(a.limbs(), 2u);
  for (std::size_t j = 0; j < 32; ++j) EXPECT_EQ(a.data()[j], copy.data()[j]);
  EXPECT_THROW(a.drop_to(3), std::out_of_range);
}
