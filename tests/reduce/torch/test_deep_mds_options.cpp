#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <vector>

#include "veil/reduce/torch/deep_mds_train.h"

namespace veil::reduce {
namespace {

using Dims = std::vector<std::size_t>;

TEST(DeepMdsOptions, PlanHalvesThenHitsTheTarget) {
  EXPECT_EQ(plan_stage_dims(512, 16), (Dims{256, 128, 64, 32, 16}));
  EXPECT_EQ(plan_stage_dims(512, 256), (Dims{256}));
  EXPECT_EQ(plan_stage_dims(64, 16), (Dims{32, 16}));
  EXPECT_EQ(plan_stage_dims(100, 16), (Dims{50, 25, 16}));  // last stage 25 -> 16
  EXPECT_EQ(plan_stage_dims(512, 300), (Dims{300}));
  EXPECT_EQ(plan_stage_dims(512, 512), (Dims{512}));
  EXPECT_EQ(plan_stage_dims(3, 1), (Dims{1}));
  EXPECT_THROW(plan_stage_dims(64, 0), std::invalid_argument);
  EXPECT_THROW(plan_stage_dims(64, 65), std::invalid_argument);
}

TEST(DeepMdsOptions, ExplicitStageDimsAreChecked) {
  DeepMdsTrainOptions o;
  o.output_dim = 16;
  o.stage_dims = {48, 16};
  EXPECT_EQ(resolve_stage_dims(o, 64), (Dims{48, 16}));
  o.stage_dims = {48, 24};  // does not end at output_dim
  EXPECT_THROW(resolve_stage_dims(o, 64), std::invalid_argument);
  o.stage_dims = {80, 16};  // wider than the input
  EXPECT_THROW(resolve_stage_dims(o, 64), std::invalid_argument);
  o.stage_dims = {32, 0, 16};
  EXPECT_THROW(resolve_stage_dims(o, 64), std::invalid_argument);
}

TEST(DeepMdsOptions, ValidateNamesTheBadField) {
  const auto fails_with = [](auto change, const char* field) {
    DeepMdsTrainOptions o;
    o.output_dim = 16;
    change(o);
    try {
      validate_options(o, 64);
      ADD_FAILURE() << field << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  DeepMdsTrainOptions ok;
  ok.output_dim = 16;
  EXPECT_NO_THROW(validate_options(ok, 64));
  fails_with([](auto& o) { o.output_dim = 65; }, "output_dim");
  fails_with([](auto& o) { o.epochs_per_stage = 0; }, "epochs_per_stage");
  fails_with([](auto& o) { o.identities_per_batch = 1; }, "identities_per_batch");
  fails_with([](auto& o) { o.samples_per_identity = 1; }, "samples_per_identity");
  fails_with([](auto& o) { o.learning_rate = 0; }, "learning_rate");
  fails_with([](auto& o) { o.learning_rate = std::numeric_limits<double>::quiet_NaN(); },
             "learning_rate");
  fails_with([](auto& o) { o.weight_decay = -1; }, "weight_decay");
  fails_with([](auto& o) { o.cov_weight = -1; }, "cov_weight");
  fails_with([](auto& o) { o.mine_start = 0; }, "mine_start");
  fails_with([](auto& o) { o.mine_start = 1.5; }, "mine_start");
  fails_with([](auto& o) { o.mine_end = 0; }, "mine_end");
  fails_with(
      [](auto& o) {
        o.mine_start = 0.5;
        o.mine_end = 0.6;
      },
      "mine_end");
  fails_with([](auto& o) { o.threads = -1; }, "threads");
}

TEST(DeepMdsOptions, KeepFractionFallsLinearlyOverAStage) {
  DeepMdsTrainOptions o;
  o.epochs_per_stage = 5;
  o.mine_start = 1.0;
  o.mine_end = 0.2;
  EXPECT_DOUBLE_EQ(keep_fraction_at(o, 0), 1.0);
  EXPECT_DOUBLE_EQ(keep_fraction_at(o, 1), 0.8);
  EXPECT_DOUBLE_EQ(keep_fraction_at(o, 2), 0.6);
  EXPECT_DOUBLE_EQ(keep_fraction_at(o, 4), 0.2);
  EXPECT_DOUBLE_EQ(keep_fraction_at(o, 9), 0.2);  // past the end: stays at mine_end
  o.epochs_per_stage = 1;
  EXPECT_DOUBLE_EQ(keep_fraction_at(o, 0), 1.0);
}

}  // namespace
}  // namespace veil::reduce
