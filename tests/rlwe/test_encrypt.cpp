#include <gtest/gtest.h>

#include "rlwe_helpers.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/key_switch.h"
#include "veil/rlwe/keygen.h"

using namespace veil;
using namespace veil::rlwe;

namespace {

ParameterLiteral literal(Scheme s, std::size_t n, std::vector<int> q, int p, std::uint64_t t = 0) {
  ParameterLiteral lit;
  lit.scheme = s;
  lit.n = n;
  lit.q_bits = std::move(q);
  lit.p_bits = p;
  lit.t = t;
  return lit;
}

struct Case {
  const char* name;
  ParameterLiteral lit;
};

class EncryptTest : public ::testing::TestWithParam<Case> {};

// Noise bound for a fresh encryption: |e| <= 19 per coefficient for sk, and
// for pk e0 + e1 s + e u has at most 19 (1 + 2N) per coefficient; use 6 sigma
// of the sum instead, which fresh pk noise stays well under.
constexpr double kFreshBound = 2000;

}  // namespace

TEST_P(EncryptTest, AllEncryptionModesDecryptWithSmallNoise) {
  auto ctx = Context::create(GetParam().lit);
  KeyGenerator kg(ctx);
  auto sk = kg.secret_key();
  auto pk = kg.public_key(sk);
  Encryptor by_pk(ctx, pk), by_sk(ctx, sk);
  Decryptor dec(ctx, sk);
  const std::uint64_t f = ctx->noise_factor();
  for (std::size_t level : {ctx->max_level(), std::size_t{0}}) {
    auto m = test::random_small(ctx->n(), 1000);
    auto pt = test::plaintext_from(*ctx, level, m);
    std::vector<Ciphertext> cts = {by_pk.encrypt(pt), by_sk.encrypt(pt),
                                   expand_seeded(*ctx, by_sk.encrypt_seeded(pt))};
    for (const auto& ct : cts) {
      EXPECT_EQ(ct.level, level);
      auto got = test::centered(*ctx, dec.decrypt(ct));
      // got = m + f * e with |e| small.
      for (std::size_t i = 0; i < got.size(); ++i) {
        long double diff = got[i] - m[i];
        ASSERT_LE(std::fabs(diff / f), kFreshBound) << i;
        if (f > 1) {
          ASSERT_EQ(std::fmod(diff, static_cast<long double>(f)), 0.0L) << i;
        }
      }
    }
  }
}

TEST_P(EncryptTest, TwoEncryptionsOfTheSameValueDiffer) {
  auto ctx = Context::create(GetParam().lit);
  KeyGenerator kg(ctx);
  auto sk = kg.secret_key();
  Encryptor by_pk(ctx, kg.public_key(sk)), by_sk(ctx, sk);
  auto pt = test::plaintext_from(*ctx, ctx->max_level(), std::vector<std::int64_t>(ctx->n(), 7));
  EXPECT_FALSE(by_pk.encrypt(pt).polys[0] == by_pk.encrypt(pt).polys[0]);
  EXPECT_FALSE(by_sk.encrypt(pt).polys[1] == by_sk.encrypt(pt).polys[1]);
  auto s1 = by_sk.encrypt_seeded(pt), s2 = by_sk.encrypt_seeded(pt);
  EXPECT_NE(s1.seed, s2.seed);
  EXPECT_FALSE(s1.c0 == s2.c0);
  EXPECT_FALSE(kg.secret_key().s == sk.s);
}

TEST_P(EncryptTest, KeySwitchingFromSSquaredLeavesSmallNoise) {
  auto ctx = Context::create(GetParam().lit);
  KeyGenerator kg(ctx);
  auto sk = kg.secret_key();
  auto rk = kg.relin_key(sk);
  const std::uint64_t f = ctx->noise_factor();
  for (std::size_t level = 0; level <= ctx->max_level(); ++level) {
    const auto& basis = ctx->basis_q(level);
    // c uniform; d0 + d1 s should equal c s^2 + f * small.
    auto xof = ring::Xof::fresh();
    ring::RnsPoly c;
    ring::sample_uniform(xof, basis, ring::Form::kEval, c);
    ring::RnsPoly d0, d1;
    key_switch(*ctx, c, level, rk.key, d0, d1);
    ring::RnsPoly s(basis.n(), basis.size(), ring::Form::kEval);
    std::copy(sk.s.data(), sk.s.data() + s.word_count(), s.data());
    ring::RnsPoly s2, lhs, rhs;
    ring::multiply(s, s, s2, basis);
    ring::multiply(c, s2, rhs, basis);
    ring::multiply(d1, s, lhs, basis);
    ring::add(lhs, d0, lhs, basis);
    ring::RnsPoly diff;
    ring::sub(lhs, rhs, diff, basis);
    Plaintext pt;
    pt.level = level;
    pt.poly = diff;
    auto noise = test::centered(*ctx, pt);
    long double worst = 0;
    for (auto v : noise) {
      worst = std::max(worst, std::fabs(v));
      if (f > 1) {
        ASSERT_EQ(std::fmod(v, static_cast<long double>(f)), 0.0L);
      }
    }
    // Noise is about f * (sum_i q_i e_i / P + rounding * s): well below 2^30 * f here.
    EXPECT_LT(worst, std::ldexp(static_cast<long double>(f), 30)) << "level " << level;
    EXPECT_GT(worst, 0) << "noise must be present";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Sets, EncryptTest,
    ::testing::Values(Case{"ckks4096", literal(Scheme::kCkks, 4096, {36, 36}, 37)},
                      Case{"ckks8192", literal(Scheme::kCkks, 8192, {60, 40, 40}, 60)},
                      Case{"bgv4096", literal(Scheme::kBgv, 4096, {36, 36}, 37, 65537)},
                      Case{"bgv8192", literal(Scheme::kBgv, 8192, {55, 55, 50}, 55, 65537)}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Encrypt, MismatchedObjectsAreRefused) {
  auto a = Context::create(literal(Scheme::kCkks, 4096, {36, 36}, 37));
  auto b = Context::create(literal(Scheme::kCkks, 4096, {36, 35}, 37));
  KeyGenerator ka(a), kb(b);
  auto ska = ka.secret_key();
  auto skb = kb.secret_key();
  EXPECT_THROW(Encryptor(a, skb), MismatchError);
  EXPECT_THROW(Decryptor(b, ska), MismatchError);
  EXPECT_THROW(ka.public_key(skb), MismatchError);
  Encryptor ea(a, ska);
  auto pt = test::plaintext_from(*b, 1, std::vector<std::int64_t>(4096, 1));
  EXPECT_THROW(ea.encrypt(pt), MismatchError);
  auto pta = test::plaintext_from(*a, 1, std::vector<std::int64_t>(4096, 1));
  auto ct = ea.encrypt(pta);
  EXPECT_THROW(Decryptor(b, skb).decrypt(ct), MismatchError);
  ct.level = 5;
  EXPECT_THROW(Decryptor(a, ska).decrypt(ct), MismatchError);
}
