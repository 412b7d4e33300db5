// BGV: every operation must match the same operation on the plaintext slots exactly.
#include <gtest/gtest.h>

#include "test_rng.h"
#include "veil/bgv/encoder.h"
#include "veil/bgv/evaluator.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/keygen.h"

using namespace veil;
using namespace veil::rlwe;
using u64 = std::uint64_t;

namespace {

struct Case {
  const char* name;
  std::size_t n;
  std::vector<int> q;
  int p;
  u64 t;
};

class BgvTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const auto& c = GetParam();
    ParameterLiteral lit;
    lit.scheme = Scheme::kBgv;
    lit.n = c.n;
    lit.q_bits = c.q;
    lit.p_bits = c.p;
    lit.t = c.t;
    ctx = Context::create(lit);
    KeyGenerator kg(ctx);
    sk = kg.secret_key();
    pk = kg.public_key(sk);
    rk = kg.relin_key(sk);
    encoder = std::make_unique<bgv::Encoder>(ctx);
    eval = std::make_unique<bgv::Evaluator>(ctx);
    gk = kg.galois_keys(sk, eval->galois_elts({1, 5, -3}, true));
    enc = std::make_unique<Encryptor>(ctx, pk);
    dec = std::make_unique<Decryptor>(ctx, sk);
  }
  std::vector<u64> random_slots() const {
    std::vector<u64> v(ctx->n());
    for (auto& x : v) x = test::uniform_below(GetParam().t);
    return v;
  }
  Ciphertext encrypt(const std::vector<u64>& v, std::size_t level) const {
    return enc->encrypt(encoder->encode(v, level));
  }
  std::vector<u64> decrypt(const Ciphertext& ct) const { return encoder->decode(dec->decrypt(ct)); }
  u64 mulmod(u64 a, u64 b) const {
    return static_cast<u64>((static_cast<unsigned __int128>(a) * b) % GetParam().t);
  }

  ContextPtr ctx;
  SecretKey sk;
  PublicKey pk;
  RelinKey rk;
  GaloisKeys gk;
  std::unique_ptr<bgv::Encoder> encoder;
  std::unique_ptr<bgv::Evaluator> eval;
  std::unique_ptr<Encryptor> enc;
  std::unique_ptr<Decryptor> dec;
};

}  // namespace

TEST_P(BgvTest, EncodeDecodeRoundTrip) {
  auto v = random_slots();
  for (std::size_t level = 0; level <= ctx->max_level(); ++level) {
    EXPECT_EQ(encoder->decode(encoder->encode(v, level)), v);
  }
  std::vector<std::int64_t> s = {-3, 4, -(static_cast<std::int64_t>(GetParam().t) - 1) / 2};
  auto back = encoder->decode_signed(encoder->encode_signed(s, 0));
  EXPECT_EQ(back[0], -3);
  EXPECT_EQ(back[2], s[2]);
  EXPECT_EQ(back[3], 0);
}

TEST_P(BgvTest, FreshEncryptionsDecryptExactly) {
  auto v = random_slots();
  auto pt = encoder->encode(v, ctx->max_level());
  Encryptor by_sk(ctx, sk);
  EXPECT_EQ(decrypt(enc->encrypt(pt)), v);
  EXPECT_EQ(decrypt(by_sk.encrypt(pt)), v);
  EXPECT_EQ(decrypt(expand_seeded(*ctx, by_sk.encrypt_seeded(pt))), v);
}

TEST_P(BgvTest, ArithmeticMatchesSlotArithmetic) {
  const u64 t = GetParam().t;
  auto a = random_slots(), b = random_slots();
  const auto L = ctx->max_level();
  auto ca = encrypt(a, L), cb = encrypt(b, L);
  std::vector<u64> sum(a.size()), diff(a.size()), prod(a.size()), neg(a.size()), scaled(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    sum[i] = (a[i] + b[i]) % t;
    diff[i] = (a[i] + t - b[i]) % t;
    prod[i] = mulmod(a[i], b[i]);
    neg[i] = (t - a[i]) % t;
    scaled[i] = mulmod(a[i], 12345 % t);
  }
  Ciphertext r;
  eval->add(ca, cb, r);
  EXPECT_EQ(decrypt(r), sum);
  eval->sub(ca, cb, r);
  EXPECT_EQ(decrypt(r), diff);
  eval->negate(ca, r);
  EXPECT_EQ(decrypt(r), neg);
  eval->add_plain(ca, encoder->encode(b, L), r);
  EXPECT_EQ(decrypt(r), sum);
  eval->sub_plain(ca, encoder->encode(b, L), r);
  EXPECT_EQ(decrypt(r), diff);
  eval->multiply_plain(ca, encoder->encode(b, L), r);
  EXPECT_EQ(decrypt(r), prod);
  eval->multiply_const(ca, 12345 % t, r);
  EXPECT_EQ(decrypt(r), scaled);

  // Product: size 3 decrypts directly with s^2, and after relinearisation.
  Ciphertext m3, m2;
  eval->multiply(ca, cb, m3);
  ASSERT_EQ(m3.size(), 3u);
  EXPECT_EQ(decrypt(m3), prod);
  eval->relinearize(m3, rk, m2);
  ASSERT_EQ(m2.size(), 2u);
  EXPECT_EQ(decrypt(m2), prod);
  // A sum of products accumulated at degree 2, decrypted once.
  Ciphertext acc = m3, m3b;
  eval->multiply(cb, cb, m3b);
  eval->add(acc, m3b, acc);
  std::vector<u64> sop(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) sop[i] = (prod[i] + mulmod(b[i], b[i])) % t;
  EXPECT_EQ(decrypt(acc), sop);
}

TEST_P(BgvTest, ModSwitchKeepsMessageAndFreesNoise) {
  auto a = random_slots(), b = random_slots();
  const auto L = ctx->max_level();
  ASSERT_GT(L, 0u) << "every set here has a prime to switch away";
  auto ca = encrypt(a, L), cb = encrypt(b, L);
  Ciphertext m;
  eval->multiply(ca, cb, m);
  eval->relinearize(m, rk, m);
  double before = bgv::noise_budget_bits(ctx, sk, m);
  Ciphertext s;
  eval->mod_switch(m, s);
  EXPECT_EQ(s.level, L - 1);
  std::vector<u64> prod(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) prod[i] = mulmod(a[i], b[i]);
  EXPECT_EQ(decrypt(s), prod);
  double after = bgv::noise_budget_bits(ctx, sk, s);
  // Switching loses at most the bits of the dropped prime, usually far fewer.
  EXPECT_GT(after, 0);
  EXPECT_GT(after, before - 62);
  eval->mod_switch_to(m, 0, s);
  EXPECT_EQ(s.level, 0u);
  EXPECT_EQ(decrypt(s), prod);
  // Depth: square, switch, multiply again, down to level 0.
  Ciphertext x = ca;
  std::vector<u64> expect = a;
  for (std::size_t l = L; l > 0; --l) {
    eval->multiply(x, x, x);
    eval->relinearize(x, rk, x);
    eval->mod_switch(x, x);
    for (auto& e : expect) e = mulmod(e, e);
    ASSERT_EQ(decrypt(x), expect) << "level " << x.level;
  }
}

TEST_P(BgvTest, RotationsAndRowSwap) {
  auto a = random_slots();
  const std::size_t n = ctx->n(), half = n / 2;
  auto ca = encrypt(a, ctx->max_level());
  for (int steps : {1, 5, -3}) {
    Ciphertext r;
    eval->rotate_columns(ca, steps, gk, r);
    auto got = decrypt(r);
    for (std::size_t row = 0; row < 2; ++row)
      for (std::size_t c = 0; c < half; ++c) {
        std::size_t src =
            (c + half +
             static_cast<std::size_t>(steps % static_cast<int>(half) + static_cast<int>(half))) %
            half;
        ASSERT_EQ(got[row * half + c], a[row * half + src]) << "steps " << steps;
      }
  }
  Ciphertext r;
  eval->swap_rows(ca, gk, r);
  auto got = decrypt(r);
  for (std::size_t c = 0; c < half; ++c) {
    ASSERT_EQ(got[c], a[half + c]);
    ASSERT_EQ(got[half + c], a[c]);
  }
  EXPECT_THROW(eval->rotate_columns(ca, 2, gk, r), MismatchError);  // no key for 2
}

TEST_P(BgvTest, MismatchesAreRefusedBeforeWork) {
  auto ca = encrypt(random_slots(), ctx->max_level());
  Ciphertext low;
  eval->core().drop_to_level(ca, 0, low);
  Ciphertext r;
  ASSERT_GT(ctx->max_level(), 0u);
  EXPECT_THROW(eval->add(ca, low, r), MismatchError);
  Ciphertext other = ca;
  other.param_id ^= 1;
  EXPECT_THROW(eval->multiply(ca, other, r), MismatchError);
  Ciphertext m3;
  eval->multiply(ca, ca, m3);
  EXPECT_THROW(eval->rotate_columns(m3, 1, gk, r), MismatchError);
  EXPECT_THROW(eval->relinearize(ca, rk, r), MismatchError);
  EXPECT_THROW(eval->multiply_const(ca, GetParam().t, r), std::invalid_argument);
  std::vector<u64> too_big = {GetParam().t};
  EXPECT_THROW(encoder->encode(too_big, 0), std::invalid_argument);
  std::vector<u64> too_many(ctx->n() + 1, 0);
  EXPECT_THROW(encoder->encode(too_many, 0), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Sets, BgvTest,
                         ::testing::Values(Case{"N4096_t65537", 4096, {36, 36}, 37, 65537},
                                           Case{"N8192_t65537", 8192, {43, 43, 44, 44}, 44, 65537},
                                           Case{"N8192_t20bit", 8192, {54, 54, 54}, 54, 786433}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(BgvEncoder, CoefficientEncodingWorksWithoutBatching) {
  ParameterLiteral lit;
  lit.scheme = Scheme::kBgv;
  lit.n = 4096;
  lit.q_bits = {50};
  lit.p_bits = 50;
  lit.t = 1 << 16;  // a power of two: no batching
  auto ctx = Context::create(lit);
  bgv::Encoder encoder(ctx);
  EXPECT_FALSE(encoder.batching());
  std::vector<u64> v = {1, 2, 3};
  EXPECT_THROW(encoder.encode(v, 0), MismatchError);
  KeyGenerator kg(ctx);
  auto sk = kg.secret_key();
  Encryptor enc(ctx, sk);
  Decryptor dec(ctx, sk);
  bgv::Evaluator eval(ctx);
  // (1 + 2X + 3X^2) * (X) = X + 2X^2 + 3X^3, and X^{N-1} * X = -1.
  std::vector<u64> x(4096, 0);
  x[1] = 1;
  Ciphertext c;
  eval.multiply_plain(enc.encrypt(encoder.encode_coefficients(v, 0)),
                      encoder.encode_coefficients(x, 0), c);
  auto got = encoder.decode_coefficients(dec.decrypt(c));
  EXPECT_EQ(got[0], 0u);
  EXPECT_EQ(got[1], 1u);
  EXPECT_EQ(got[3], 3u);
  std::vector<u64> top(4096, 0);
  top[4095] = 5;
  eval.multiply_plain(enc.encrypt(encoder.encode_coefficients(top, 0)),
                      encoder.encode_coefficients(x, 0), c);
  EXPECT_EQ(encoder.decode_coefficients(dec.decrypt(c))[0], (1u << 16) - 5);
}

// Measured noise growth, printed for docs/fhe.md and asserted loosely.
TEST_P(BgvTest, NoiseBudgetReport) {
  const auto L = ctx->max_level();
  auto v = random_slots();
  Encryptor by_sk(ctx, sk);
  auto pk_ct = encrypt(v, L);
  auto sk_ct = by_sk.encrypt(encoder->encode(v, L));
  const double fresh_pk = bgv::noise_budget_bits(ctx, sk, pk_ct);
  const double fresh_sk = bgv::noise_budget_bits(ctx, sk, sk_ct);
  Ciphertext m3, m2, sw, rot;
  eval->multiply(pk_ct, pk_ct, m3);
  const double after_mul = bgv::noise_budget_bits(ctx, sk, m3);
  eval->relinearize(m3, rk, m2);
  const double after_relin = bgv::noise_budget_bits(ctx, sk, m2);
  eval->rotate_columns(pk_ct, 1, gk, rot);
  const double after_rot = bgv::noise_budget_bits(ctx, sk, rot);
  eval->mod_switch(m2, sw);
  const double after_switch = bgv::noise_budget_bits(ctx, sk, sw);
  std::printf(
      "[noise] %s: budget bits fresh(pk) %.1f fresh(sk) %.1f | x*x %.1f | relin %.1f | "
      "mod switch %.1f | rotate(fresh) %.1f\n",
      GetParam().name, fresh_pk, fresh_sk, after_mul, after_relin, after_switch, after_rot);
  EXPECT_GT(fresh_sk, fresh_pk);
  EXPECT_LT(after_mul, fresh_pk - 10);  // a product roughly squares the noise
  EXPECT_GT(after_relin, after_mul - 3);
  EXPECT_GT(after_rot, fresh_pk - 3);
  EXPECT_GT(after_switch, 0);
}

TEST(BgvEncoder, RefusesNullAndForeignContexts) {
  EXPECT_THROW(bgv::Encoder(nullptr), MismatchError);
  EXPECT_THROW(bgv::Evaluator(nullptr), MismatchError);
  ParameterLiteral lit;
  lit.scheme = Scheme::kCkks;
  lit.n = 4096;
  lit.q_bits = {36, 36};
  lit.p_bits = 37;
  auto ckks = Context::create(lit);
  try {
    bgv::Encoder e(ckks);
    ADD_FAILURE() << "a CKKS context was accepted";
  } catch (const MismatchError& e) {
    EXPECT_NE(std::string(e.what()).find("expected BGV"), std::string::npos) << e.what();
  }
}
