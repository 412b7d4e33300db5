// The DeepMDS++ loss terms and hard-pair mining on a case small enough to
// work out by hand (values in the comments).
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "veil/reduce/torch/mds_loss.h"

namespace veil::reduce {
namespace {

// Four unit inputs, identities A A B B:
//   x0 = (1, 0, 0), x1 = (0.6, 0.8, 0), x2 = (0, 0, 1), x3 = (0, 0.6, 0.8)
// Input cosines: c01 = 0.6, c02 = 0, c03 = 0, c12 = 0, c13 = 0.48, c23 = 0.8.
torch::Tensor inputs() {
  return torch::tensor({1.0f, 0.0f, 0.0f, 0.6f, 0.8f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.6f, 0.8f})
      .reshape({4, 3});
}
torch::Tensor labels() { return torch::tensor({7, 7, 3, 3}, torch::kLong); }

// Hand-chosen 2-d projections:
//   y0 = (1, 0), y1 = (0, 1), y2 = (0.6, 0.8), y3 = (-1, 0)
// Output cosines: d01 = 0, d02 = 0.6, d03 = -1, d12 = 0.8, d13 = 0, d23 = -0.6.
//
// Errors |c - d|:
//   genuine  (0,1): |0.6 - 0| = 0.6        (2,3): |0.8 + 0.6| = 1.4
//   impostor (0,2): 0.6   (0,3): 1.0   (1,2): 0.8   (1,3): |0.48 - 0| = 0.48
// Means: genuine (0.6 + 1.4) / 2 = 1.0, impostor 2.88 / 4 = 0.72.
//
// Covariance: column means (0.15, 0.45);
//   C01 = E[ab] - E[a]E[b] = (0.6 * 0.8) / 4 - 0.15 * 0.45 = 0.12 - 0.0675 = 0.0525,
//   the only off-diagonal value (twice), so the penalty is 0.0525.
// Total, no mining: 1.0 + 0.72 + 10 * 0.0525 = 2.245.
// Keep half: genuine keeps ceil(0.5 * 2) = 1 pair: 1.4; impostor keeps 2: (1.0 + 0.8) / 2 = 0.9;
// total 1.4 + 0.9 + 0.525 = 2.825.
torch::Tensor projections() {
  return torch::tensor({1.0f, 0.0f, 0.0f, 1.0f, 0.6f, 0.8f, -1.0f, 0.0f}).reshape({4, 2});
}

std::vector<std::int64_t> as_vector(const torch::Tensor& t) {
  const auto c = t.contiguous();
  return std::vector<std::int64_t>(c.data_ptr<std::int64_t>(),
                                   c.data_ptr<std::int64_t>() + c.numel());
}

TEST(MdsLoss, BatchPairsSplitsByLabel) {
  const auto p = batch_pairs(labels());
  EXPECT_EQ(as_vector(p.genuine_i), (std::vector<std::int64_t>{0, 2}));
  EXPECT_EQ(as_vector(p.genuine_j), (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(as_vector(p.impostor_i), (std::vector<std::int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(as_vector(p.impostor_j), (std::vector<std::int64_t>{2, 3, 2, 3}));
}

TEST(MdsLoss, PairCosinesIgnoreLengthAndGiveZeroForAZeroRow) {
  // (3, 4) has cosine 0.8 with (0, 2); the zero row has cosine 0.
  const auto x = torch::tensor({3.0f, 4.0f, 0.0f, 2.0f, 0.0f, 0.0f}).reshape({3, 2});
  const auto c =
      pair_cosines(x, torch::tensor({0, 0}, torch::kLong), torch::tensor({1, 2}, torch::kLong));
  EXPECT_NEAR(c[0].item<float>(), 0.8f, 1e-6);
  EXPECT_EQ(c[1].item<float>(), 0.0f);
}

TEST(MdsLoss, TermsMatchTheHandComputation) {
  const auto l = mds_loss(inputs(), projections(), labels(), 1.0);
  EXPECT_EQ(l.genuine_pairs, 2);
  EXPECT_EQ(l.impostor_pairs, 4);
  EXPECT_EQ(l.genuine_kept, 2);
  EXPECT_EQ(l.impostor_kept, 4);
  EXPECT_NEAR(l.genuine.item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(l.impostor.item<double>(), 0.72, 1e-6);
  EXPECT_NEAR(l.covariance.item<double>(), 0.0525, 1e-6);
  EXPECT_NEAR(l.total.item<double>(), 2.245, 1e-5);
  EXPECT_NEAR(covariance_penalty(projections()).item<double>(), 0.0525, 1e-6);
}

TEST(MdsLoss, MiningKeepsTheWorstPairsOfEachKind) {
  const auto l = mds_loss(inputs(), projections(), labels(), 0.5);
  EXPECT_EQ(l.genuine_kept, 1);
  EXPECT_EQ(l.impostor_kept, 2);
  EXPECT_NEAR(l.genuine.item<double>(), 1.4, 1e-6);
  EXPECT_NEAR(l.impostor.item<double>(), 0.9, 1e-6);
  EXPECT_NEAR(l.total.item<double>(), 2.825, 1e-5);
  // The covariance weight scales only the covariance term: 1.4 + 0.9 + 2 * 0.0525.
  EXPECT_NEAR(mds_loss(inputs(), projections(), labels(), 0.5, 2.0).total.item<double>(), 2.405,
              1e-5);
}

TEST(MdsLoss, OnlyKeptPairsGetGradient) {
  // Keeping half the genuine pairs keeps (2,3) only: rows 0 and 1 get no
  // gradient from the genuine term, rows 2 and 3 do.
  auto y = projections().clone().requires_grad_(true);
  const auto l = mds_loss(inputs(), y, labels(), 0.5);
  l.genuine.backward();
  const auto g = y.grad().abs().sum(1);
  EXPECT_EQ(g[0].item<float>(), 0.0f);
  EXPECT_EQ(g[1].item<float>(), 0.0f);
  EXPECT_GT(g[2].item<float>(), 0.0f);
  EXPECT_GT(g[3].item<float>(), 0.0f);
}

TEST(MdsLoss, MineHardestCountsAndOrder) {
  // Impostor errors of the hand case: 0.6, 1.0, 0.8, 0.48.
  const auto e = torch::tensor({0.6f, 1.0f, 0.8f, 0.48f});
  EXPECT_EQ(as_vector(mine_hardest(e, 1.0)), (std::vector<std::int64_t>{1, 2, 0, 3}));
  EXPECT_EQ(as_vector(mine_hardest(e, 0.5)), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(as_vector(mine_hardest(e, 0.3)), (std::vector<std::int64_t>{1, 2}));  // ceil(1.2)
  EXPECT_EQ(as_vector(mine_hardest(e, 0.25)), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(as_vector(mine_hardest(e, 0.01)), (std::vector<std::int64_t>{1}));  // at least one
  // 0.3 * 10 is 3.0000000000000004 in double: still 3 pairs, not 4.
  EXPECT_EQ(mine_hardest(torch::arange(10, torch::kFloat), 0.3).numel(), 3);
  EXPECT_EQ(mine_hardest(torch::empty({0}), 0.5).numel(), 0);
  EXPECT_THROW(mine_hardest(e, 0.0), std::invalid_argument);
  EXPECT_THROW(mine_hardest(e, 1.5), std::invalid_argument);
}

TEST(MdsLoss, PerfectProjectionHasZeroPairLoss) {
  // Dropping the unused third coordinate of a set that lies in a plane
  // keeps every cosine.
  const auto x =
      torch::tensor({1.0f, 0.0f, 0.0f, 0.6f, 0.8f, 0.0f, 0.0f, 1.0f, 0.0f, -0.8f, 0.6f, 0.0f})
          .reshape({4, 3});
  const auto l = mds_loss(x, x.slice(1, 0, 2), labels(), 1.0);
  EXPECT_NEAR(l.genuine.item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(l.impostor.item<double>(), 0.0, 1e-6);
}

TEST(MdsLoss, BatchWithoutGenuinePairsHasZeroGenuineTerm) {
  const auto l = mds_loss(inputs(), projections(), torch::tensor({1, 2, 3, 4}, torch::kLong), 1.0);
  EXPECT_EQ(l.genuine_pairs, 0);
  EXPECT_EQ(l.genuine.item<double>(), 0.0);
  EXPECT_EQ(l.impostor_pairs, 6);
}

TEST(MdsLoss, RefusesMismatchedShapes) {
  EXPECT_THROW(mds_loss(inputs(), projections().slice(0, 0, 3), labels(), 1.0),
               std::invalid_argument);
  EXPECT_THROW(mds_loss(inputs(), projections(), torch::tensor({1, 2}, torch::kLong), 1.0),
               std::invalid_argument);
}

}  // namespace
}  // namespace veil::reduce
