// The fast probe expansion (expand_fast.h) against the generic
// Evaluator-based one: identical residues for the same probe and keys.
#include <gtest/gtest.h>

#include "search_fixture.h"
#include "veil/math/ntt.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/errors.h"
#include "veil/search/expand_fast.h"

namespace veil::search {
namespace {

EncryptedProbe make_probe(const testing::Party& party, bool pk, std::uint32_t seed) {
  const auto& c = party.config;
  auto q = quantize_rows(testing::random_rows(1, c.dimension, seed), c.dimension, c.quant_scale);
  return pk ? ProbeEncryptor(c, party.ctx, party.pk, party.key_id).encrypt(q.row(0))
            : ProbeEncryptor(c, party.ctx, party.sk, party.key_id).encrypt(q.row(0));
}

void expect_same(const std::vector<rlwe::Ciphertext>& a, const std::vector<rlwe::Ciphertext>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t j = 0; j < a.size(); ++j) {
    ASSERT_EQ(a[j].size(), 2u);
    ASSERT_EQ(b[j].size(), 2u);
    EXPECT_EQ(a[j].param_id, b[j].param_id);
    EXPECT_EQ(a[j].level, b[j].level);
    EXPECT_EQ(a[j].scale, b[j].scale);
    for (std::size_t p = 0; p < 2; ++p) {
      ASSERT_EQ(a[j].polys[p].form(), b[j].polys[p].form());
      ASSERT_EQ(a[j].polys[p].limbs(), b[j].polys[p].limbs());
      for (std::size_t l = 0; l < a[j].polys[p].limbs(); ++l) {
        const auto* x = a[j].polys[p].limb(l);
        const auto* y = b[j].polys[p].limb(l);
        for (std::size_t k = 0; k < a[j].polys[p].n(); ++k) {
          ASSERT_EQ(x[k], y[k]) << "ciphertext " << j << " poly " << p << " limb " << l << " coeff "
                                << k;
        }
      }
    }
  }
}

class FastExpansion : public ::testing::TestWithParam<std::size_t> {};

TEST_P(FastExpansion, MatchesGenericExactly) {
  for (bool pk : {false, true}) {
    testing::Party party(
        {.dimension = GetParam(), .probe = pk ? Encryption::kPublicKey : Encryption::kSecretKey});
    ProbeExpander ex(party.config, party.ctx, party.galois);
    EncryptedProbe probe = make_probe(party, pk, 7);
    auto generic = ex.expand_ciphertexts_generic(probe, 2);
    for (std::size_t threads : {1u, 2u, 3u}) {
      expect_same(ex.expand_ciphertexts(probe, threads), generic);
    }
    EXPECT_TRUE(ex.expand(probe, 2) == ex.expand_generic(probe, 2));
    EXPECT_TRUE(ex.expand(probe, 1) == ex.expand_generic(probe, 1));
  }
}

INSTANTIATE_TEST_SUITE_P(Dimensions, FastExpansion, ::testing::Values(1, 2, 3, 16, 33, 128));

// Both node kernels (portable and AVX2) give the same residues.
TEST(FastExpansionKernels, ScalarMatchesAvx2) {
  testing::Party party({.dimension = 20});
  const auto& c = party.config;
  EncryptedProbe probe = make_probe(party, false, 9);
  rlwe::Ciphertext root = rlwe::expand_seeded(*party.ctx, *probe.seeded);
  auto collect = [&](detail::ExpandNodeFn fn) {
    detail::FastExpansion fx(c, *party.ctx, party.galois, fn);
    std::vector<std::vector<std::uint32_t>> out(c.dimension);
    fx.run(root, 2, [&](const std::vector<detail::FastExpansion::Output>& batch) {
      for (const auto& o : batch) {
        for (std::size_t i = 0; i < 4; ++i)
          out[o.j].insert(out[o.j].end(), o.limbs[i], o.limbs[i] + c.n);
      }
    });
    return out;
  };
  auto scalar = collect(detail::expand_node_scalar);
  if (!math::cpu_has_avx2()) GTEST_SKIP() << "no AVX2";
  EXPECT_EQ(scalar, collect(detail::expand_node_avx2));
}

TEST(FastExpansionKernels, RefusesOtherShapes) {
  testing::Party party({.dimension = 8});
  rlwe::GaloisKeys missing = party.galois;
  missing.keys.erase(missing.keys.begin());
  EXPECT_THROW(detail::FastExpansion(party.config, *party.ctx, missing), rlwe::MismatchError);
}

}  // namespace
}  // namespace veil::search
