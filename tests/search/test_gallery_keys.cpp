// Gallery secrets, the gallery public key, and the shape of shared-mask blocks.
#include <gtest/gtest.h>

#include "search_fixture.h"
#include "veil/io/errors.h"
#include "veil/rlwe/errors.h"
#include "veil/search/mask.h"

namespace veil::search {
namespace {

using testing::Party;

const Party& party() {
  static Party p({.dimension = 8});
  return p;
}

// s_j back in coefficient form must be ternary: 0, 1 or q - 1.
void expect_ternary(const GallerySecrets& s, std::size_t j, const rlwe::Context& ctx) {
  const auto& basis = ctx.basis_q(1);
  std::vector<math::u64> c(s.get(j, 0), s.get(j, 0) + s.n());
  basis.ntt(0).inverse(c.data());
  const math::u64 q = basis.modulus(0).value();
  std::size_t nonzero = 0;
  for (math::u64 v : c) {
    ASSERT_TRUE(v == 0 || v == 1 || v == q - 1) << v;
    nonzero += v != 0;
  }
  // About 2/3 of the coefficients are non-zero.
  EXPECT_GT(nonzero, s.n() / 2);
  EXPECT_LT(nonzero, s.n() * 5 / 6);
}

TEST(GallerySecrets, DeterministicDistinctAndTernary) {
  const Party& p = party();
  GallerySecrets a(*p.ctx, p.sk, 3), b(*p.ctx, p.sk, 3);
  for (std::size_t j = 0; j < 3; ++j)
    for (std::size_t l = 0; l < 2; ++l)
      EXPECT_TRUE(std::equal(a.get(j, l), a.get(j, l) + a.n(), b.get(j, l))) << j;
  EXPECT_FALSE(std::equal(a.get(0, 0), a.get(0, 0) + a.n(), a.get(1, 0)));
  for (std::size_t j = 0; j < 3; ++j) expect_ternary(a, j, *p.ctx);
  // Another secret key, other gallery secrets.
  rlwe::SecretKey other = rlwe::KeyGenerator(p.ctx).secret_key();
  GallerySecrets c(*p.ctx, other, 1);
  EXPECT_FALSE(std::equal(a.get(0, 0), a.get(0, 0) + a.n(), c.get(0, 0)));
}

TEST(GalleryPublicKey, RoundTripAndBadBytes) {
  const Party& p = party();
  GalleryPublicKey k = make_gallery_public_key(*p.ctx, p.sk, 3);
  ASSERT_EQ(k.count(), 3u);
  k.key_id = p.key_id;
  auto bytes = save_gallery_public_key(*p.ctx, k);
  EXPECT_EQ(load_gallery_public_key(*p.ctx, bytes).key_id, p.key_id);
  GalleryPublicKey back = load_gallery_public_key(*p.ctx, bytes);
  ASSERT_EQ(back.count(), 3u);
  EXPECT_EQ(save_gallery_public_key(*p.ctx, back), bytes);
  auto cut = bytes;
  cut.resize(cut.size() - 100);
  EXPECT_THROW(load_gallery_public_key(*p.ctx, cut), io::FormatError);
  auto flipped = bytes;
  flipped[flipped.size() / 2] ^= 1;
  EXPECT_THROW(load_gallery_public_key(*p.ctx, flipped), io::FormatError);
  // A context with other primes is refused.
  rlwe::ParameterLiteral lit;
  lit.n = 4096;
  lit.q_bits = {28, 28};
  lit.p_bits = 50;
  auto other = rlwe::Context::create(lit);
  EXPECT_THROW(load_gallery_public_key(*other, bytes), rlwe::MismatchError);
}

TEST(GalleryPublicKey, TooFewDimensionsOrWrongConfigRefused) {
  Party pk_party({.dimension = 8, .gallery = Encryption::kPublicKey});
  EXPECT_THROW(GalleryEncryptor(pk_party.config, pk_party.ctx,
                                make_gallery_public_key(*pk_party.ctx, pk_party.sk, 7)),
               rlwe::MismatchError);
  // Secret-key enrollment into a public-key gallery config and vice versa.
  EXPECT_THROW(GalleryEncryptor(pk_party.config, pk_party.ctx, pk_party.sk), rlwe::MismatchError);
  const Party& p = party();
  EXPECT_THROW(GalleryEncryptor(p.config, p.ctx, make_gallery_public_key(*p.ctx, p.sk, 8)),
               rlwe::MismatchError);
}

TEST(SharedMaskBlocks, SeedRegionAndFreshRandomness) {
  const Party& p = party();
  const auto& c = p.config;
  auto rows = quantize_rows(testing::random_rows(5, 8, 21), 8, c.quant_scale);
  auto one = testing::encrypt_gallery(p, rows), two = testing::encrypt_gallery(p, rows);
  ASSERT_EQ(one[0].size(), c.block_words());
  EXPECT_EQ(c.block_words(), 16 + 2 * c.n * 8);
  // A 32-byte seed, then zero padding to 64 bytes.
  for (std::size_t i = 8; i < 16; ++i) EXPECT_EQ(one[0][i], 0u);
  EXPECT_FALSE(std::equal(one[0].begin(), one[0].begin() + 8, two[0].begin()));
  // Same templates, different ciphertexts: no b word repeats at the same place.
  std::size_t same = 0;
  for (std::size_t i = 16; i < one[0].size(); ++i) same += one[0][i] == two[0][i];
  EXPECT_LT(same, one[0].size() / 1000);
}

TEST(SharedMaskBlocks, ProbeKeyOfAnotherConfigRefused) {
  const Party& p = party();
  Party wider({.dimension = 16});
  auto rows = quantize_rows(testing::random_rows(3, 8, 22), 8, p.config.quant_scale);
  auto blocks = testing::encrypt_gallery(p, rows);
  SearchServer server(p.config, p.ctx, p.galois, p.key_id, 1);
  auto probe = ProbeEncryptor(p.config, p.ctx, p.sk, p.key_id).encrypt(rows.row(0));
  auto scores = server.search(probe, testing::pointers(blocks));
  ScoreDecryptor dec(p.config, p.ctx, p.sk, p.key_id);
  ScoreDecryptor wide_dec(wider.config, wider.ctx, wider.sk, wider.key_id);
  auto wide_probe =
      ProbeEncryptor(wider.config, wider.ctx, wider.sk, wider.key_id)
          .encrypt(
              quantize_rows(testing::random_rows(1, 16, 23), 16, wider.config.quant_scale).row(0));
  ProbeKey wrong = testing::probe_key(wider, wide_dec, wide_probe);
  EXPECT_THROW(dec.decrypt(scores, wrong), rlwe::MismatchError);
  // And an expanded probe of the wrong size.
  EXPECT_THROW(dec.prepare(Words(10)), rlwe::MismatchError);
  auto right = dec.decrypt(scores, testing::probe_key(p, dec, probe));
  EXPECT_EQ(right[0], quantized_dot(rows.row(0), rows.row(0)));
}

}  // namespace
}  // namespace veil::search
