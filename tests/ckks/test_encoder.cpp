#include <gtest/gtest.h>

#include <limits>

#include "ckks_helpers.h"
#include "veil/math/modarith.h"
#include "veil/ring/poly_ops.h"
#include "veil/rlwe/errors.h"

using namespace veil;
using namespace veil::test;
using ckks::Encoder;
using rlwe::Context;
using rlwe::MismatchError;

namespace {

rlwe::ContextPtr ctx8192() {
  static auto ctx = Context::create(ckks_literal(8192, {60, 40, 40}, 60));
  return ctx;
}

}  // namespace

TEST(CkksEncoder, RefusesNonCkksContext) {
  rlwe::ParameterLiteral lit;
  lit.scheme = rlwe::Scheme::kBgv;
  lit.n = 4096;
  lit.q_bits = {36, 36};
  lit.p_bits = 37;
  lit.t = 65537;
  auto bgv = Context::create(lit);
  EXPECT_THROW(Encoder{bgv}, MismatchError);
  EXPECT_THROW(ckks::Evaluator{bgv}, MismatchError);
  EXPECT_THROW(Encoder{nullptr}, MismatchError);
}

TEST(CkksEncoder, SlotCountIsHalfTheDegree) {
  Encoder enc(ctx8192());
  EXPECT_EQ(enc.slot_count(), 4096u);
}

TEST(CkksEncoder, RoundTripAtEveryLevel) {
  auto ctx = ctx8192();
  Encoder enc(ctx);
  const double scale = std::ldexp(1.0, 40);
  for (std::size_t level = 0; level <= ctx->max_level(); ++level) {
    auto v = random_slots(enc.slot_count());
    auto pt = enc.encode(v, scale, level);
    EXPECT_EQ(pt.level, level);
    EXPECT_EQ(pt.poly.limbs(), level + 1);
    EXPECT_EQ(pt.poly.form(), ring::Form::kEval);
    EXPECT_EQ(pt.scale, scale);
    EXPECT_EQ(pt.param_id, ctx->id());
    double bits = precision_bits(enc.decode(pt), v);
    report_bits("encode_decode_2^40_level" + std::to_string(level), bits);
    EXPECT_GE(bits, 32.0);
  }
}

TEST(CkksEncoder, RealValuesAndZeroPadding) {
  Encoder enc(ctx8192());
  auto v = random_reals(100);
  auto pt = enc.encode(v, std::ldexp(1.0, 40), 1);
  auto got = enc.decode_real(pt);
  ASSERT_EQ(got.size(), enc.slot_count());
  std::vector<double> want(enc.slot_count(), 0.0);
  std::copy(v.begin(), v.end(), want.begin());
  double bits = precision_bits(got, want);
  report_bits("encode_decode_real_padded", bits);
  EXPECT_GE(bits, 32.0);
  // Imaginary parts are ~0 for real input.
  for (auto z : enc.decode(pt)) ASSERT_LT(std::fabs(z.imag()), 1e-10);
  // An empty input encodes zero.
  auto zero = enc.decode(enc.encode(std::span<const double>(), std::ldexp(1.0, 40), 0));
  for (auto z : zero) ASSERT_EQ(z, cplx(0, 0));
}

// Scales whose coefficients exceed 2^63 (up to ~2^130 here) take the exact
// multi-digit path; the precision is then limited by double arithmetic only.
TEST(CkksEncoder, ScalesBeyondSixtyFourBits) {
  auto ctx = ctx8192();
  Encoder enc(ctx);
  for (int log_scale : {62, 64, 80, 100, 120}) {
    auto v = random_slots(enc.slot_count());
    auto pt = enc.encode(v, std::ldexp(1.0, log_scale), 2);  // Q_2 ~ 2^140
    double bits = precision_bits(enc.decode(pt), v);
    report_bits("encode_decode_2^" + std::to_string(log_scale), bits);
    EXPECT_GE(bits, 45.0) << "scale 2^" << log_scale;
  }
  // Not a power of two: still exact rounding.
  auto v = random_slots(enc.slot_count());
  double bits = precision_bits(enc.decode(enc.encode(v, 3.0e30, 2)), v);
  report_bits("encode_decode_3e30", bits);
  EXPECT_GE(bits, 45.0);
}

// The residues of a large constant are exactly its value modulo each prime.
TEST(CkksEncoder, LargeConstantResiduesAreExact) {
  auto ctx = ctx8192();
  Encoder enc(ctx);
  const auto& basis = ctx->basis_q(2);
  for (double c : {3.0, -5.0, 1.0}) {
    for (int e : {50, 70, 100, 128}) {
      auto pt = enc.encode_constant(c, std::ldexp(1.0, e), 2);
      auto p = pt.poly;
      ring::to_coeff(p, basis);
      for (std::size_t i = 0; i < basis.size(); ++i) {
        const auto& q = basis.modulus(i);
        math::u64 want = math::mul_mod(q.reduce(static_cast<math::u64>(std::fabs(c))),
                                       math::pow_mod(2, static_cast<math::u64>(e), q), q);
        if (c < 0) want = math::neg_mod(want, q);
        ASSERT_EQ(p.limb(i)[0], want) << "c=" << c << " e=" << e << " limb " << i;
        for (std::size_t j = 1; j < p.n(); ++j) ASSERT_EQ(p.limb(i)[j], 0u);
      }
    }
  }
}

TEST(CkksEncoder, ConstantsFillEverySlot) {
  Encoder enc(ctx8192());
  const double scale = std::ldexp(1.0, 40);
  for (cplx c : {cplx(0.75, 0), cplx(-0.3, 0.6), cplx(0, -1)}) {
    auto got = enc.decode(enc.encode_constant(c, scale, 1));
    std::vector<cplx> want(enc.slot_count(), c);
    double bits = precision_bits(got, want);
    EXPECT_GE(bits, 32.0) << c;
    // Same slots as encoding the filled vector.
    auto filled = enc.decode(enc.encode(want, scale, 1));
    EXPECT_GE(precision_bits(filled, want), 32.0);
  }
  auto real = enc.decode_real(enc.encode_constant(-0.125, scale, 0));
  for (double x : real) ASSERT_NEAR(x, -0.125, 1e-11);
}

TEST(CkksEncoder, RefusesBadInput) {
  auto ctx = ctx8192();
  Encoder enc(ctx);
  const double scale = std::ldexp(1.0, 40);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<cplx> v(10, cplx(0.5, 0));
  v[3] = cplx(nan, 0);
  EXPECT_THROW(enc.encode(v, scale, 1), std::invalid_argument);
  v[3] = cplx(0, inf);
  EXPECT_THROW(enc.encode(v, scale, 1), std::invalid_argument);
  std::vector<double> r(10, -inf);
  EXPECT_THROW(enc.encode(std::span<const double>(r), scale, 1), std::invalid_argument);
  EXPECT_THROW(enc.encode_constant(nan, scale, 1), std::invalid_argument);
  // Too many values.
  std::vector<cplx> many(enc.slot_count() + 1, cplx(0.1, 0));
  EXPECT_THROW(enc.encode(many, scale, 1), std::invalid_argument);
  many.pop_back();
  EXPECT_NO_THROW(enc.encode(many, scale, 1));
  // Scale.
  std::vector<cplx> ok(4, cplx(0.5, 0));
  for (double s : {0.0, -1.0, nan, inf}) {
    EXPECT_THROW(enc.encode(ok, s, 1), std::invalid_argument) << s;
    EXPECT_THROW(enc.encode_constant(1.0, s, 1), std::invalid_argument) << s;
  }
  // Level.
  EXPECT_THROW(enc.encode(ok, scale, 3), MismatchError);
  // Overflow: q_0 is a 60-bit prime, so 2^20 at scale 2^40 does not fit at level 0
  // but does at level 1 (Q_1 ~ 2^100).
  std::vector<cplx> big(enc.slot_count(), cplx(std::ldexp(1.0, 20), 0));
  EXPECT_THROW(enc.encode(big, scale, 0), std::invalid_argument);
  EXPECT_NO_THROW(enc.encode(big, scale, 1));
  EXPECT_THROW(enc.encode_constant(std::ldexp(1.0, 19), scale, 0), std::invalid_argument);
  EXPECT_NO_THROW(enc.encode_constant(std::ldexp(1.0, 18), scale, 0));
  // Scale alone too large for the level.
  EXPECT_THROW(enc.encode(ok, std::ldexp(1.0, 200), 2), std::invalid_argument);
  try {
    enc.encode(big, scale, 0);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("Q_level/2"), std::string::npos) << e.what();
  }
}

TEST(CkksEncoder, DecodeRefusesForeignPlaintext) {
  Encoder enc(ctx8192());
  auto other = Context::create(ckks_literal(8192, {60, 40, 40}, 61));
  Encoder enc_other(other);
  auto pt = enc_other.encode_constant(1.0, 1e9, 0);
  EXPECT_THROW(enc.decode(pt), MismatchError);
  auto mine = enc.encode_constant(1.0, 1e9, 1);
  mine.level = 0;  // shape no longer matches the level
  EXPECT_THROW(enc.decode(mine), std::invalid_argument);
  mine.level = 1;
  mine.scale = 0;
  EXPECT_THROW(enc.decode(mine), std::invalid_argument);
}
