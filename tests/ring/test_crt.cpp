#include <gtest/gtest.h>

#include "ring_fixture.h"
#include "test_rng.h"
#include "veil/ring/base_converter.h"
#include "veil/ring/crt.h"

using namespace veil;
using namespace veil::ring;

namespace {
// Residues of signed 128-bit values.
RnsPoly from_signed(const std::vector<__int128>& v, const RnsBasis& b) {
  RnsPoly p(b.n(), b.size(), Form::kCoeff);
  for (std::size_t l = 0; l < b.size(); ++l) {
    __int128 q = b.modulus(l).value();
    for (std::size_t j = 0; j < v.size(); ++j)
      p.limb(l)[j] = static_cast<std::uint64_t>(((v[j] % q) + q) % q);
  }
  return p;
}
}  // namespace

TEST(Crt, ComposesCenteredValuesExactly) {
  test::TestBasis tb(64, {40, 45});  // Q ~ 2^85
  std::vector<__int128> v(64);
  for (auto& x : v) {
    x = (static_cast<__int128>(test::test_rng()()) << 16) ^ test::test_rng()();
    if (test::test_rng()() & 1) x = -x;
  }
  v[0] = 0;
  v[1] = -1;
  auto p = from_signed(v, tb.basis);
  CrtComposer crt(tb.basis);
  std::vector<long double> out(64);
  crt.to_centered_long_double(p, out.data());
  for (std::size_t j = 0; j < 64; ++j) {
    long double expect = static_cast<long double>(v[j]);
    ASSERT_NEAR(static_cast<double>(out[j] / (expect == 0 ? 1 : expect)), expect == 0 ? 0.0 : 1.0,
                1e-15)
        << j;
  }
  math::Modulus t(65537);
  std::vector<std::uint64_t> mt(64);
  crt.to_centered_mod(p, t, mt.data());
  for (std::size_t j = 0; j < 64; ++j) {
    __int128 r = v[j] % 65537;
    if (r < 0) r += 65537;
    ASSERT_EQ(mt[j], static_cast<std::uint64_t>(r)) << j;
  }
}

TEST(Crt, ThreeLimbsAndSingleLimb) {
  test::TestBasis tb(8, {60, 60, 60});
  std::vector<__int128> v = {
      5,  -5,   (static_cast<__int128>(1) << 100), -(static_cast<__int128>(1) << 100), 0, 1,
      -1, 12345};
  auto p = from_signed(v, tb.basis);
  std::vector<long double> out(8);
  CrtComposer(tb.basis).to_centered_long_double(p, out.data());
  for (std::size_t j = 0; j < 8; ++j) EXPECT_EQ(out[j], static_cast<long double>(v[j]));
  test::TestBasis one(8, {50});
  auto p1 = from_signed({3, -3, 0, 1, -1, 1000, -1000, 7}, one.basis);
  CrtComposer(one.basis).to_centered_long_double(p1, out.data());
  EXPECT_EQ(out[1], -3.0L);
  EXPECT_EQ(out[6], -1000.0L);
}

TEST(BaseConverter, ResultIsValuePlusSmallMultipleOfQ) {
  test::TestBasis all(32, {40, 41, 42, 50});
  RnsBasis from = all.basis.prefix(3);
  RnsBasis to(std::vector<const PrimeData*>{&all.basis[3]});
  std::vector<__int128> v(32);
  for (auto& x : v) x = static_cast<__int128>(test::test_rng()() >> 4) * (test::test_rng()() >> 20);
  auto p = from_signed(v, from);
  RnsPoly out;
  BaseConverter(from, to).convert(p, out);
  const auto& pm = to.modulus(0);
  // Q mod p
  std::uint64_t qmodp = 1;
  for (std::size_t i = 0; i < 3; ++i)
    qmodp = math::mul_mod(qmodp, pm.reduce(from.modulus(i).value()), pm);
  for (std::size_t j = 0; j < 32; ++j) {
    std::uint64_t x = static_cast<std::uint64_t>(v[j] % pm.value());
    bool ok = false;
    for (std::uint64_t u = 0; u < 3 && !ok; ++u)
      ok = (out.limb(0)[j] == math::add_mod(x, math::mul_mod(u, qmodp, pm), pm));
    ASSERT_TRUE(ok) << j;
  }
}
