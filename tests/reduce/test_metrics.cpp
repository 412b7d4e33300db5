// Metrics on hand-computed cases (ties included), and exact top-k against
// the shipped BIGANN ground truth when the shared data sets are present.
#include <gtest/gtest.h>

#include <cmath>

#include "datasets.h"
#include "veil/data/labeled_sets.h"
#include "veil/reduce/metrics.h"

namespace veil::reduce {
namespace {

using data::IntMatrix;
using data::Matrix;
using Labels = std::vector<std::int64_t>;

TEST(Identification, RanksFromScoresWithTiesAndProbesWithoutMate) {
  Labels gallery = {1, 2, 3, 1};
  Labels probes = {1, 2, 4, 3};
  std::vector<float> s = {
      0.9f, 0.95f, 0.1f, 0.5f,  // label 1: best mate 0.9, one non-mate above: rank 2
      0.3f, 0.8f,  0.8f, 0.1f,  // label 2: a non-mate ties the mate: rank 2 (tie counts against)
      0.9f, 0.9f,  0.9f, 0.9f,  // label 4: not enrolled: left out
      0.1f, 0.2f,  0.7f, 0.3f,  // label 3: rank 1
  };
  IdentificationResult r = identification_from_scores(s, gallery, probes);
  EXPECT_EQ(r.probes_scored, 3u);
  EXPECT_EQ(r.probes_without_mate, 1u);
  EXPECT_DOUBLE_EQ(r.rank1, 1.0 / 3);
  EXPECT_DOUBLE_EQ(r.rank10, 1.0);
  EXPECT_THROW(identification_from_scores(std::span(s).first(15), gallery, probes),
               std::invalid_argument);
  // No probe with a mate: both fractions are NaN.
  Labels lonely = {9};
  IdentificationResult none = identification_from_scores(std::span(s).first(4), gallery, lonely);
  EXPECT_TRUE(std::isnan(none.rank1));
  EXPECT_EQ(none.probes_without_mate, 1u);
}

TEST(Identification, RankTenBoundary) {
  // 12 gallery rows, labels 0..11, score of row g = 12 - g (row 0 best).
  Labels gallery;
  std::vector<float> row;
  for (int g = 0; g < 12; ++g) {
    gallery.push_back(g);
    row.push_back(static_cast<float>(12 - g));
  }
  std::vector<float> s = row;
  s.insert(s.end(), row.begin(), row.end());
  // Probe of label 9 ranks 10th (in), probe of label 10 ranks 11th (out).
  IdentificationResult r = identification_from_scores(s, gallery, Labels{9, 10});
  EXPECT_DOUBLE_EQ(r.rank1, 0.0);
  EXPECT_DOUBLE_EQ(r.rank10, 0.5);
}

TEST(Identification, FromRowsEqualsFromScores) {
  // Unit rows in 2-D; the probe of label 7 is nearest a label-8 row.
  Matrix gallery{3, 2, {1, 0, 0, 1, 0.6f, 0.8f}};
  Labels gl = {7, 8, 9};
  Matrix probes{2, 2, {0, 1, 0.8f, 0.6f}};
  Labels pl = {7, 9};
  IdentificationResult r = identification_accuracy(gallery, gl, probes, pl, 2);
  // Probe 0 (label 7): scores 0, 1, 0.8 -> rank 3. Probe 1 (label 9): 0.8, 0.6, 0.96 -> rank 1.
  EXPECT_DOUBLE_EQ(r.rank1, 0.5);
  EXPECT_DOUBLE_EQ(r.rank10, 1.0);
  std::vector<float> s = {0, 1, 0.8f, 0.8f, 0.6f, 0.96f};
  IdentificationResult e = identification_from_scores(s, gl, pl);
  EXPECT_EQ(r.rank1, e.rank1);
  EXPECT_THROW(identification_accuracy(gallery, Labels{1}, probes, pl), std::invalid_argument);
}

TEST(Identification, FromTopKLists) {
  Labels gallery = {5, 6, 7, 5};
  Labels probes = {5, 6, 8};
  IntMatrix top{3, 3, {3, 1, 2, 2, -1, 1, 0, 1, 2}};
  IdentificationResult r = identification_from_top_k(top, gallery, probes);
  EXPECT_EQ(r.probes_scored, 2u);  // label 8 is not enrolled
  EXPECT_EQ(r.probes_without_mate, 1u);
  EXPECT_DOUBLE_EQ(r.rank1, 0.5);     // probe 0's first id (3) is a mate
  EXPECT_TRUE(std::isnan(r.rank10));  // lists of 3 cannot say
  IntMatrix wide{1, 10, {2, 2, 2, 2, 2, 2, 2, 2, 2, 1}};
  IdentificationResult w = identification_from_top_k(wide, gallery, Labels{6});
  EXPECT_DOUBLE_EQ(w.rank1, 0.0);
  EXPECT_DOUBLE_EQ(w.rank10, 1.0);
  IntMatrix out_of_range{1, 1, {4}};
  EXPECT_THROW(identification_from_top_k(out_of_range, gallery, Labels{5}), std::invalid_argument);
}

TEST(Verification, PairScores) {
  Matrix x{3, 2, {1, 0, 0, 1, 0.6f, 0.8f}};
  PairScores within = pair_scores(x, Labels{1, 2, 1});
  EXPECT_EQ(within.genuine, (std::vector<float>{0.6f}));
  EXPECT_EQ(within.impostor, (std::vector<float>{0.0f, 0.8f}));
  Matrix probe{1, 2, {0, 1}};
  PairScores gp = pair_scores(x, Labels{1, 2, 1}, probe, Labels{2});
  EXPECT_EQ(gp.genuine, (std::vector<float>{1.0f}));
  EXPECT_EQ(gp.impostor, (std::vector<float>{0.0f, 0.8f}));
}

TEST(Verification, TarAtFarThresholdFromTheImpostorQuantile) {
  std::vector<float> imp;
  for (int i = 0; i < 1000; ++i) imp.push_back(static_cast<float>(i));
  // FAR 1e-3 of 1000: one false accept allowed; threshold = 2nd highest = 998.
  std::vector<float> gen = {998.5f, 998.0f, 500.0f, 999.0f, 1000.0f};
  TarAtFar r = tar_at_far(gen, imp, 1e-3);
  ASSERT_TRUE(r.valid) << r.reason;
  EXPECT_EQ(r.threshold, 998.0);
  EXPECT_DOUBLE_EQ(r.far_achieved, 1e-3);
  EXPECT_DOUBLE_EQ(r.tar, 3.0 / 5);  // 998 itself (= threshold) is rejected
  // FAR 1e-2: ten allowed, threshold = 11th highest = 989.
  TarAtFar r2 = tar_at_far(gen, imp, 1e-2);
  EXPECT_EQ(r2.threshold, 989.0);
  EXPECT_DOUBLE_EQ(r2.tar, 4.0 / 5);
}

TEST(Verification, TiesAtTheQuantileAreRejected) {
  // 990 impostors at 0, 10 at 1: the top scores tie.
  std::vector<float> imp(990, 0.0f);
  imp.insert(imp.end(), 10, 1.0f);
  std::vector<float> gen = {1.0f, 2.0f};
  TarAtFar r = tar_at_far(gen, imp, 1e-3);
  ASSERT_TRUE(r.valid);
  EXPECT_EQ(r.threshold, 1.0);
  EXPECT_EQ(r.far_achieved, 0.0);  // below the target: the tie cannot be split
  EXPECT_DOUBLE_EQ(r.tar, 0.5);
  TarAtFar r2 = tar_at_far(gen, imp, 1e-2);  // ten allowed: threshold 0
  EXPECT_EQ(r2.threshold, 0.0);
  EXPECT_DOUBLE_EQ(r2.far_achieved, 1e-2);
  EXPECT_DOUBLE_EQ(r2.tar, 1.0);
}

TEST(Verification, TooFewImpostorsOrNoGenuine) {
  std::vector<float> imp(9999, 0.0f);
  std::vector<float> gen = {1.0f};
  TarAtFar r = tar_at_far(gen, imp, 1e-4);
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(std::isnan(r.tar));
  EXPECT_NE(r.reason.find("at least 10000 impostor scores, got 9999"), std::string::npos)
      << r.reason;
  imp.push_back(0.5f);  // exactly 10^4: valid, one false accept allowed
  TarAtFar ok = tar_at_far(gen, imp, 1e-4);
  ASSERT_TRUE(ok.valid) << ok.reason;
  EXPECT_EQ(ok.threshold, 0.0);
  EXPECT_DOUBLE_EQ(ok.far_achieved, 1e-4);
  EXPECT_FALSE(tar_at_far({}, imp, 1e-3).valid);
  EXPECT_THROW(tar_at_far(gen, imp, 0.0), std::invalid_argument);
  EXPECT_THROW(tar_at_far(gen, imp, 1.0), std::invalid_argument);
}

TEST(Recall, IdsOnly) {
  IntMatrix exact{2, 3, {0, 1, 2, 3, 4, 5}};
  IntMatrix got{2, 3, {2, 0, 9, 3, 3, -1}};  // 2 of 3; a repeat and padding: 1 of 3
  EXPECT_DOUBLE_EQ(recall_at_k(got, exact, 3), 0.5);
  EXPECT_DOUBLE_EQ(recall_at_k(exact, exact, 3), 1.0);
  EXPECT_DOUBLE_EQ(recall_at_k(got, exact, 1), 0.5);  // first ids: 2 vs 0, 3 vs 3
  EXPECT_THROW(recall_at_k(got, exact, 4), std::invalid_argument);
  EXPECT_THROW(recall_at_k(got, IntMatrix{1, 3, {0, 1, 2}}, 3), std::invalid_argument);
}

TEST(Recall, TieAwareCountsAnyTiedNeighbour) {
  Matrix base{4, 1, {3, 2, 2, 1}};
  Matrix query{1, 1, {1}};
  // Exact top-2 by id: 0, then 1 (ties -> lower id). Returning 2 instead is
  // as good: same score.
  TopK t = exact_top_k(base, query, 2);
  EXPECT_EQ(t.ids.values, (std::vector<std::int32_t>{0, 1}));
  IntMatrix alt{1, 2, {0, 2}};
  EXPECT_DOUBLE_EQ(recall_at_k(alt, t.ids, 2), 0.5);
  EXPECT_DOUBLE_EQ(recall_at_k_tie_aware(alt, base, query, 2), 1.0);
  IntMatrix worse{1, 2, {0, 3}};
  EXPECT_DOUBLE_EQ(recall_at_k_tie_aware(worse, base, query, 2), 0.5);
  IntMatrix dup{1, 2, {1, 2}};  // both tied at the k-th score: 2 hits
  EXPECT_DOUBLE_EQ(recall_at_k_tie_aware(dup, base, query, 2), 1.0);
  IntMatrix rep{1, 2, {0, 0}};
  EXPECT_DOUBLE_EQ(recall_at_k_tie_aware(rep, base, query, 2), 0.5);
}

TEST(ExactTopK, InnerProductAndL2WithTies) {
  Matrix base{4, 1, {3, 2, 2, 1}};
  TopK ip = exact_top_k(base, Matrix{1, 1, {1}}, 3);
  EXPECT_EQ(ip.ids.values, (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(ip.scores.values, (std::vector<float>{3, 2, 2}));
  TopK l2 = exact_top_k(base, Matrix{1, 1, {2}}, 3, Similarity::kNegativeL2);
  EXPECT_EQ(l2.ids.values, (std::vector<std::int32_t>{1, 2, 0}));
  EXPECT_EQ(l2.scores.values, (std::vector<float>{0, 0, -1}));
  TopK capped = exact_top_k(base, Matrix{1, 1, {1}}, 10);
  EXPECT_EQ(capped.ids.cols, 4u);
  // Threads do not change the answer.
  Matrix b{50, 3, {}}, q{7, 3, {}};
  for (std::size_t i = 0; i < 150; ++i) b.values.push_back(std::sin(0.7f * i));
  for (std::size_t i = 0; i < 21; ++i) q.values.push_back(std::cos(1.3f * i));
  EXPECT_EQ(exact_top_k(b, q, 5, Similarity::kInnerProduct, 1).ids.values,
            exact_top_k(b, q, 5, Similarity::kInnerProduct, 3).ids.values);
  EXPECT_THROW(exact_top_k(b, Matrix{1, 2, {0, 0}}, 1), std::invalid_argument);
}

TEST(ExactTopK, MatchesBigannGroundTruthWhenPresent) {
  auto root = veil::test::datasets_dir();
  if (!root || !std::filesystem::exists(*root / "ann/bigann10k_base.bvecs")) {
    GTEST_SKIP() << "shared BIGANN 10k absent";
  }
  data::LabeledSet base = data::load_bigann10k(*root);
  data::QuerySet q = data::load_bigann10k_queries(*root);
  TopK t = exact_top_k(base.x, q.queries.x, 10, Similarity::kNegativeL2, 2);
  // Integer SIFT values: squared distances are exact in float; only ties
  // could reorder ids, and the shipped ground truth agrees.
  EXPECT_DOUBLE_EQ(recall_at_k(t.ids, q.ground_truth, 10), 1.0);
  for (std::size_t i = 0; i < 100; ++i) EXPECT_EQ(t.ids.row(i)[0], static_cast<std::int32_t>(i));
}

}  // namespace
}  // namespace veil::reduce
