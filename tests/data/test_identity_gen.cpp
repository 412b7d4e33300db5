// The identity-structured generator, cosine statistics and calibration.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "datasets.h"
#include "veil/data/cosine_stats.h"
#include "veil/data/identity_calibration.h"
#include "veil/data/identity_gen.h"
#include "veil/data/labeled_sets.h"

using namespace veil::data;

namespace {

IdentityGenParams small_params() {
  IdentityGenParams p;
  p.identities = 40;
  p.samples_per_identity = 3;
  p.ambient_dim = 64;
  p.intrinsic_dim = 8;
  p.within_spread = 0.6;
  p.noise_floor = 0.2;
  p.common_offset = 0.3;
  p.spectrum_decay = 0.5;
  p.spread_variation = 0.3;
  p.seed = 42;
  return p;
}

void expect_stats_near(const CosineStats& got, const CosineStats& want, double tol) {
  EXPECT_NEAR(got.genuine_mean, want.genuine_mean, tol);
  EXPECT_NEAR(got.genuine_std, want.genuine_std, tol);
  EXPECT_NEAR(got.impostor_mean, want.impostor_mean, tol);
  EXPECT_NEAR(got.impostor_std, want.impostor_std, tol);
}

}  // namespace

TEST(CosineStats, HandComputed) {
  // Rows (1,0), (0.6,0.8) [as (3,4), not unit], (0,1); all one label: cosines
  // 0.6, 0, 0.8 -> mean 7/15, population std sqrt(1/3 - (7/15)^2).
  Matrix x{3, 2, {1, 0, 3, 4, 0, 1}};
  CosineStats s = cosine_stats(x, {0, 0, 0});
  EXPECT_EQ(s.genuine_pairs, 3u);
  EXPECT_EQ(s.impostor_pairs, 0u);
  EXPECT_NEAR(s.genuine_mean, 7.0 / 15, 1e-7);
  EXPECT_NEAR(s.genuine_std, std::sqrt(1.0 / 3 - 49.0 / 225), 1e-7);
  // Labels 0, 0, 1: genuine {0.6}, impostor {0, 0.8}.
  s = cosine_stats(x, {0, 0, 1});
  EXPECT_EQ(s.genuine_pairs, 1u);
  EXPECT_EQ(s.impostor_pairs, 2u);
  EXPECT_NEAR(s.genuine_mean, 0.6, 1e-7);
  EXPECT_NEAR(s.genuine_std, 0.0, 1e-6);
  EXPECT_NEAR(s.impostor_mean, 0.4, 1e-7);
  EXPECT_NEAR(s.impostor_std, 0.4, 1e-7);
  EXPECT_THROW(cosine_stats(x, {0, 1}), std::invalid_argument);
  EXPECT_THROW(cosine_stats(x, {0, 1, 2}, 2), std::invalid_argument);
  Matrix z{2, 2, {1, 0, 0, 0}};
  EXPECT_THROW(cosine_stats(z, {0, 1}), std::invalid_argument);
}

TEST(IdentityGen, DeterministicBySeedAndIndependentOfThreadsAndRanges) {
  IdentityGenParams p = small_params();
  LabeledSet a = IdentityGenerator(p).generate_all(1);
  LabeledSet b = IdentityGenerator(p).generate_all(2);
  EXPECT_EQ(a.x.values, b.x.values);
  EXPECT_FALSE(a.real);
  ASSERT_EQ(a.x.rows, 120u);
  ASSERT_EQ(a.x.cols, 64u);
  EXPECT_EQ(a.labels[0], 0);
  EXPECT_EQ(a.labels[119], 39);
  // Identities 10..19 alone equal the matching slice of the whole.
  IdentityGenerator gen(p);
  std::vector<float> part(10 * 3 * 64);
  gen.generate(10, 10, part, 2);
  EXPECT_TRUE(std::equal(part.begin(), part.end(), a.x.row(30)));
  // Another seed gives other rows; more identities keep the first ones.
  IdentityGenParams q = p;
  q.seed = 43;
  EXPECT_NE(IdentityGenerator(q).generate_all().x.values, a.x.values);
  IdentityGenParams more = p;
  more.identities = 50;
  LabeledSet m = IdentityGenerator(more).generate_all();
  EXPECT_TRUE(std::equal(a.x.values.begin(), a.x.values.end(), m.x.values.begin()));
  EXPECT_THROW(gen.generate(35, 10, part), std::invalid_argument);
  EXPECT_THROW(gen.generate(0, 9, part), std::invalid_argument);
}

TEST(IdentityGen, ParameterValuesDoNotShiftTheStream) {
  // Changing the noise floor changes the rows but not the draws: with the
  // floor at 0 and spread 0, every sample of an identity is its centre.
  IdentityGenParams p = small_params();
  p.within_spread = 0;
  p.noise_floor = 0;
  LabeledSet s = IdentityGenerator(p).generate_all();
  for (std::size_t i = 0; i < p.identities; ++i) {
    for (std::size_t j = 1; j < 3; ++j) {
      for (std::size_t d = 0; d < 64; ++d) {
        ASSERT_EQ(s.x.row(3 * i + j)[d], s.x.row(3 * i)[d]) << i << " " << j;
      }
    }
  }
}

TEST(IdentityGen, UnitRowsAndGenuineAboveImpostor) {
  LabeledSet s = IdentityGenerator(small_params()).generate_all();
  for (std::size_t r = 0; r < s.x.rows; ++r) {
    double n = 0;
    for (std::size_t d = 0; d < s.x.cols; ++d) n += double(s.x.row(r)[d]) * s.x.row(r)[d];
    ASSERT_NEAR(n, 1.0, 1e-5) << "row " << r;
  }
  CosineStats c = cosine_stats(s);
  EXPECT_EQ(c.genuine_pairs, 40u * 3);
  EXPECT_EQ(c.impostor_pairs, 120u * 119 / 2 - 120);
  EXPECT_GT(c.genuine_mean, c.impostor_mean + 0.3);
  EXPECT_GT(c.impostor_mean, 0.0);  // the shared offset
}

TEST(IdentityGen, SplitMatchesTheFullRows) {
  IdentityGenParams p = small_params();
  LabeledSet all = IdentityGenerator(p).generate_all();
  GalleryProbe gp = IdentityGenerator(p).generate_split(2);
  ASSERT_EQ(gp.gallery.x.rows, 80u);
  ASSERT_EQ(gp.probes.x.rows, 40u);
  for (std::size_t i = 0; i < p.identities; ++i) {
    for (std::size_t j = 0; j < 2; ++j) {
      ASSERT_TRUE(
          std::equal(all.x.row(3 * i + j), all.x.row(3 * i + j) + 64, gp.gallery.x.row(2 * i + j)));
      EXPECT_EQ(gp.gallery.labels[2 * i + j], static_cast<std::int64_t>(i));
    }
    ASSERT_TRUE(std::equal(all.x.row(3 * i + 2), all.x.row(3 * i + 2) + 64, gp.probes.x.row(i)));
    EXPECT_EQ(gp.probes.labels[i], static_cast<std::int64_t>(i));
  }
  EXPECT_THROW(IdentityGenerator(p).generate_split(3), std::invalid_argument);
  EXPECT_THROW(IdentityGenerator(p).generate_split(0), std::invalid_argument);
}

TEST(IdentityGen, InvalidParametersAreRefused) {
  auto bad = [](auto edit) {
    IdentityGenParams p = small_params();
    edit(p);
    EXPECT_THROW(IdentityGenerator{p}, std::invalid_argument);
  };
  bad([](IdentityGenParams& p) { p.intrinsic_dim = p.ambient_dim; });
  bad([](IdentityGenParams& p) { p.intrinsic_dim = 0; });
  bad([](IdentityGenParams& p) { p.identities = 0; });
  bad([](IdentityGenParams& p) { p.samples_per_identity = 0; });
  bad([](IdentityGenParams& p) { p.within_spread = -0.1; });
  bad([](IdentityGenParams& p) { p.noise_floor = NAN; });
  bad([](IdentityGenParams& p) { p.spectrum_decay = 17; });
  bad([](IdentityGenParams& p) { p.spread_variation = 4; });
  bad([](IdentityGenParams& p) {
    p.identities = std::size_t{1} << 40;
    p.samples_per_identity = std::size_t{1} << 30;
  });
}

TEST(IdentityGen, EffectiveDimension) {
  EXPECT_DOUBLE_EQ(effective_dim(32, 0), 32.0);
  EXPECT_LT(effective_dim(32, 1), effective_dim(32, 0.5));
  EXPECT_GT(effective_dim(32, 16), 1.0);
  EXPECT_LT(effective_dim(32, 16), 1.001);
}

TEST(IdentityCalibration, RecoversAKnownGeneratorsStatistics) {
  // Target: the statistics of a generator with known parameters; the fit
  // starts from other values and must meet them, on its own simulation and
  // on a fresh set drawn with another seed.
  IdentityGenParams truth;
  truth.ambient_dim = 128;
  truth.intrinsic_dim = 16;
  truth.within_spread = 0.7;
  truth.noise_floor = 0.25;
  truth.common_offset = 0.5;
  truth.spectrum_decay = 0.4;
  truth.identities = 600;
  truth.samples_per_identity = 4;
  truth.seed = 5;
  CosineStats target = cosine_stats(IdentityGenerator(truth).generate_all());
  IdentityGenParams base;
  base.ambient_dim = 128;
  base.intrinsic_dim = 16;
  base.seed = 9;
  Calibration c = calibrate_to(target, base);
  EXPECT_TRUE(c.converged) << to_string(c.achieved);
  EXPECT_LE(c.max_error, CalibrationOptions{}.tolerance);
  IdentityGenParams fresh = c.params;
  fresh.identities = 600;
  fresh.samples_per_identity = 4;
  fresh.seed = 77;
  expect_stats_near(cosine_stats(IdentityGenerator(fresh).generate_all()), target, 0.02);
}

TEST(IdentityCalibration, UnreachableTargetIsReportedNotConverged) {
  // An impostor std far below what 4 isotropic dimensions give.
  CosineStats t;
  t.genuine_mean = 0.7;
  t.genuine_std = 0.05;
  t.impostor_mean = 0.1;
  t.impostor_std = 0.01;
  IdentityGenParams base;
  base.ambient_dim = 32;
  base.intrinsic_dim = 4;
  CalibrationOptions o;
  o.identities = 200;
  o.max_rounds = 5;
  Calibration c = calibrate_to(t, base, o);
  EXPECT_FALSE(c.converged);
  EXPECT_GT(c.max_error, o.tolerance);
  EXPECT_EQ(c.rounds, 5);
  EXPECT_EQ(c.params.spectrum_decay, 0.0);  // as isotropic as it gets
}

TEST(IdentityCalibration, FaceNetWhenPresent) {
  auto root = veil::test::datasets_dir();
  if (!root || !std::filesystem::exists(*root / "faces/bollywood10_facenet512/embeddings.npy")) {
    GTEST_SKIP() << "shared FaceNet set absent";
  }
  LabeledSet facenet = load_facenet(*root);
  CosineStats ref = cosine_stats(facenet);
  // FaceNet's genuine pairs are far more alike than its impostors.
  EXPECT_GT(ref.genuine_mean, ref.impostor_mean + 0.3);
  EXPECT_EQ(ref.genuine_pairs + ref.impostor_pairs, 522u * 521 / 2);
  IdentityGenParams base;  // 512 ambient, 32 intrinsic
  base.seed = 7;
  Calibration c = calibrate_to(facenet, base);
  EXPECT_TRUE(c.converged);
  IdentityGenParams fresh = c.params;
  fresh.identities = 600;
  fresh.samples_per_identity = 5;
  fresh.seed = 99;
  CosineStats gen = cosine_stats(IdentityGenerator(fresh).generate_all());
  std::printf("FaceNet reference   : %s\n", to_string(ref).c_str());
  std::printf("calibrated params   : %s (%d rounds)\n", to_string(c.params).c_str(), c.rounds);
  std::printf("generator (fit sim) : %s\n", to_string(c.achieved).c_str());
  std::printf("generator (seed 99) : %s\n", to_string(gen).c_str());
  expect_stats_near(gen, ref, 0.02);
}
