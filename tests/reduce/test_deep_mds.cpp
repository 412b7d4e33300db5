#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "reduce/reduce_test_util.h"
#include "veil/reduce/deep_mds.h"

namespace veil::reduce {
namespace {

DenseLayer layer(std::size_t in, std::size_t out, std::vector<float> w, std::vector<float> b) {
  return DenseLayer{in, out, std::move(w), std::move(b)};
}

// Stage 0 (4 -> 3), for x = (1, 2, 3, 4):
//   skip(x)        = (1, 2, 0)
//   fc1(x)         = (1+2, 3-4-1, 4-2)        = (3, -2, 2)
//   prelu, slopes (0.5, 0.25, 2)              = (3, -0.5, 2)
//   fc2            = (3-2, 3-0.5-1.5, 2+4)    = (1, 1, 6)
//   h              = (2, 3, 6), |h| = 7       -> (2, 3, 6) / 7
MdsStage stage0() {
  MdsStage s;
  s.skip = layer(4, 3, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, {0, 0, 0});
  s.fc1 = layer(4, 3, {1, 1, 0, 0, 0, 0, 1, -1, 0, 0, 0, 1}, {0, -1, -2});
  s.slopes = {0.5f, 0.25f, 2};
  s.fc2 = layer(3, 3, {1, 0, 0, 1, 1, 0, 0, 0, 1}, {-2, -1.5f, 4});
  return s;
}

// Stage 1 (3 -> 2, one block), for x = (2, 3, 6) / 7:
//   skip(x)        = (2, 6)
//   fc1(x)         = (3, -2); prelu, slopes (1, 0.5) = (3, -1)
//   fc2            = (3, -1)                  -> h = (5, 5)
//   block fc1(h)   = (5, -5); prelu, slopes (0.1, 0.2) = (5, -1)
//   block fc2      = (-1 - 1, 5 - 6)          = (-2, -1) -> h = (3, 4)
//   output         = (0.6, 0.8)
MdsStage stage1() {
  MdsStage s;
  s.skip = layer(3, 2, {7, 0, 0, 0, 0, 7}, {0, 0});
  s.fc1 = layer(3, 2, {0, 7, 0, -7, 0, 0}, {0, 0});
  s.slopes = {1, 0.5f};
  s.fc2 = layer(2, 2, {1, 0, 0, 1}, {0, 0});
  s.blocks.push_back(ResidualBlock{
      layer(2, 2, {1, 0, 0, -1}, {0, 0}), {0.1f, 0.2f}, layer(2, 2, {0, 1, 1, 0}, {-1, -6})});
  return s;
}

TEST(DeepMds, OneStageForwardByHand) {
  const DeepMdsModel m({stage0()});
  EXPECT_EQ(m.input_dim(), 4u);
  EXPECT_EQ(m.output_dim(), 3u);
  const data::Matrix y = m.apply(data::Matrix{1, 4, {1, 2, 3, 4}});
  ASSERT_EQ(y.cols, 3u);
  EXPECT_NEAR(y.values[0], 2.0 / 7, 1e-7);
  EXPECT_NEAR(y.values[1], 3.0 / 7, 1e-7);
  EXPECT_NEAR(y.values[2], 6.0 / 7, 1e-7);
}

TEST(DeepMds, TwoStageForwardWithBlockByHand) {
  const DeepMdsModel m({stage0(), stage1()});
  EXPECT_EQ(m.input_dim(), 4u);
  EXPECT_EQ(m.output_dim(), 2u);
  EXPECT_EQ(m.describe(), "deepmds 4->2 (2 stages)");
  // Row 1 is row 0 scaled by 0.5: skip and branches are not scale-invariant,
  // so it must give its own, different values (checked: not (0.6, 0.8)).
  const data::Matrix y = m.apply(data::Matrix{2, 4, {1, 2, 3, 4, 0.5f, 1, 1.5f, 2}});
  ASSERT_EQ(y.rows, 2u);
  EXPECT_NEAR(y.values[0], 0.6, 1e-6);
  EXPECT_NEAR(y.values[1], 0.8, 1e-6);
  EXPECT_GT(std::abs(y.values[2] - 0.6f), 1e-3);
}

TEST(DeepMds, ZeroOutputRowStaysZero) {
  MdsStage s;
  s.skip = layer(2, 1, {0, 0}, {0});
  s.fc1 = layer(2, 1, {0, 0}, {0});
  s.slopes = {0.25f};
  s.fc2 = layer(1, 1, {0}, {0});
  const DeepMdsModel m({s});
  EXPECT_EQ(m.apply(data::Matrix{1, 2, {3, 4}}).values, std::vector<float>{0.0f});
  EXPECT_EQ(m.describe(), "deepmds 2->1 (1 stage)");
}

TEST(DeepMds, RandomNetworkGivesUnitRows) {
  const DeepMdsModel m = test::random_deep_mds(16, {8, 4}, 2, 11);
  const data::Matrix y = m.apply(test::gaussian_matrix(20, 16, 12));
  for (std::size_t i = 0; i < y.rows; ++i) {
    double n = 0;
    for (std::size_t c = 0; c < y.cols; ++c) n += static_cast<double>(y.row(i)[c]) * y.row(i)[c];
    EXPECT_NEAR(n, 1.0, 1e-6) << i;
  }
}

std::string invalid_message(std::vector<MdsStage> stages) {
  try {
    DeepMdsModel m(std::move(stages));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(DeepMds, RefusesMalformedNetworks) {
  EXPECT_EQ(invalid_message({}), "deepmds: a model needs at least one stage");

  MdsStage s = stage1();
  s.fc2 = layer(3, 2, std::vector<float>(6), {0, 0});
  EXPECT_EQ(invalid_message({stage0(), s}), "deepmds: stage 1 fc2: maps 3->2, expected 2->2");

  s = stage0();
  s.fc1.weight.pop_back();
  EXPECT_EQ(invalid_message({s}),
            "deepmds: stage 0 fc1: weight has 11 values, expected 12 (3 x 4)");

  s = stage0();
  s.skip.bias.push_back(0);
  EXPECT_EQ(invalid_message({s}), "deepmds: stage 0 skip: bias has 4 values, expected 3");

  s = stage1();
  s.blocks[0].slopes = {1};
  EXPECT_EQ(invalid_message({stage0(), s}),
            "deepmds: stage 1 block 0 fc1: PReLU has 1 slopes, expected 2");

  s = stage1();
  s.blocks[0].fc2.weight[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(invalid_message({stage0(), s}), "deepmds: stage 1 block 0 fc2: weight is not finite");

  s = stage0();
  s.slopes[0] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(invalid_message({s}), "deepmds: stage 0 fc1: PReLU slopes are not finite");

  // Stage 1 takes 3 inputs; a stage before it giving 2 does not chain.
  EXPECT_EQ(invalid_message({stage1(), stage1()}),
            "deepmds: stage 1: takes 3 inputs, but stage 0 gives 2");

  const DeepMdsModel m({stage0()});
  try {
    m.apply(data::Matrix{1, 3, {1, 2, 3}});
    ADD_FAILURE() << "apply accepted 3 columns";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "deepmds: input has 3 columns, expected 4");
  }
}

}  // namespace
}  // namespace veil::reduce
