// DeepMDS++ training on a synthetic identity set, export to the plain-C++
// model, and the model file round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "reduce/torch/synthetic.h"
#include "veil/reduce/deep_mds.h"
#include "veil/reduce/model.h"
#include "veil/reduce/torch/deep_mds_net.h"
#include "veil/reduce/torch/deep_mds_train.h"
#include "veil/reduce/torch/mds_loss.h"

namespace veil::reduce {
namespace {

using testing::cosine_error;
using testing::identity_set;
using testing::random_projection;

// 40 training identities x 6 samples, 64-d with 8-d intrinsic structure;
// 12 held-out identities from the same distribution (same lifting matrix).
constexpr std::size_t kDim = 64, kIntrinsic = 8;
constexpr double kSpread = 0.6;

DeepMdsTrainOptions small_options() {
  DeepMdsTrainOptions o;
  o.output_dim = 16;  // 64 -> 32 -> 16
  o.epochs_per_stage = 40;
  o.identities_per_batch = 10;
  o.samples_per_identity = 4;
  o.learning_rate = 3e-3;
  o.weight_decay = 1e-4;
  o.mine_start = 1.0;
  o.mine_end = 0.3;
  o.seed = 42;
  o.threads = 1;
  return o;
}

double max_abs_diff(const data::Matrix& a, const data::Matrix& b) {
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  double m = 0;
  for (std::size_t i = 0; i < a.values.size() && i < b.values.size(); ++i) {
    m = std::max(m, std::abs(double{a.values[i]} - b.values[i]));
  }
  return m;
}

// The loss of a whole set, every pair kept (the fixed yardstick: the epoch
// losses the trainer reports use the shrinking mining fraction).
double full_loss(DeepMdsNet& net, const testing::LabelledSet& s) {
  torch::NoGradGuard no_grad;
  const auto x = to_tensor(s.x);
  const auto labels = torch::tensor(std::vector<std::int64_t>(s.labels), torch::kLong);
  return mds_loss(x, net->forward(x), labels, 1.0).total.item<double>();
}

TEST(DeepMdsTrain, LearnsABetterReductionThanARandomProjection) {
  const auto train = identity_set(40, 6, kDim, kIntrinsic, kSpread, 1, 2);
  const auto held = identity_set(12, 6, kDim, kIntrinsic, kSpread, 1, 3);
  const auto options = small_options();

  std::vector<TrainProgress> log;
  auto net = train_deep_mds_net(train.x, train.labels, options,
                                [&](const TrainProgress& p) { log.push_back(p); });
  ASSERT_EQ(log.size(), 2 * options.epochs_per_stage);
  EXPECT_EQ(log.front().stage, 1u);
  EXPECT_EQ(log.front().output_dim, 32u);
  EXPECT_EQ(log.back().stage, 2u);
  EXPECT_EQ(log.back().input_dim, 32u);
  EXPECT_EQ(log.back().output_dim, 16u);
  EXPECT_DOUBLE_EQ(log.front().keep_fraction, 1.0);
  EXPECT_DOUBLE_EQ(log.back().keep_fraction, 0.3);
  for (const auto& p : log) ASSERT_TRUE(std::isfinite(p.loss)) << "stage " << p.stage;
  // Within stage 1 the loss falls although the mining makes later epochs
  // average over harder pairs only.
  EXPECT_LT(log[options.epochs_per_stage - 1].loss, 0.7 * log[0].loss);

  // Against an untrained network of the same shape, on all pairs.
  torch::manual_seed(7);
  DeepMdsNet untrained;
  untrained->add_stage(64, 32, 0);
  untrained->add_stage(32, 16, 0);
  const double before = full_loss(untrained, train), after = full_loss(net, train);
  EXPECT_LT(after, 0.5 * before) << "before " << before << ", after " << after;

  // Cosine preservation on identities never seen in training.
  const auto model = export_model(net);
  const auto trained = cosine_error(held.x, model.apply(held.x), held.labels);
  const auto random = cosine_error(held.x, random_projection(held.x, 16, 9), held.labels);
  // The figures, for the record (README.md quotes them).
  std::printf(
      "epoch loss %.4f -> %.4f (stage 1), %.4f (stage 2 end); all-pairs loss %.4f -> %.4f\n",
      log.front().loss, log[options.epochs_per_stage - 1].loss, log.back().loss, before, after);
  std::printf("held-out mean |dcos|: genuine %.4f (random %.4f), impostor %.4f (random %.4f)\n",
              trained.genuine, random.genuine, trained.impostor, random.impostor);
  EXPECT_LT(trained.genuine, 0.5 * random.genuine)
      << "trained " << trained.genuine << ", random " << random.genuine;
  EXPECT_LT(trained.impostor, 0.5 * random.impostor)
      << "trained " << trained.impostor << ", random " << random.impostor;

  // The export computes what the torch network computes.
  torch::NoGradGuard no_grad;
  EXPECT_LT(max_abs_diff(model.apply(held.x), to_matrix(net->forward(to_tensor(held.x)))), 1e-5);
}

TEST(DeepMdsTrain, ExportMatchesTheTorchForwardWithResidualBlocks) {
  torch::manual_seed(3);
  DeepMdsNet net;
  net->add_stage(24, 12, 2);
  net->add_stage(12, 5, 1);
  {
    // Per-channel slopes and biases far from their initial values, so a
    // mix-up of channels or a dropped bias shows.
    torch::NoGradGuard no_grad;
    for (auto& p : net->named_parameters()) {
      if (p.key().find("prelu") != std::string::npos || p.key().find("bias") != std::string::npos) {
        p.value().uniform_(-0.9, 0.9);
      }
    }
  }
  const auto x = torch::randn({50, 24});
  x[7].zero_();  // a zero input row
  const auto model = export_model(net);
  EXPECT_EQ(model.input_dim(), 24u);
  EXPECT_EQ(model.output_dim(), 5u);
  ASSERT_EQ(model.stages().size(), 2u);
  EXPECT_EQ(model.stages()[0].blocks.size(), 2u);
  EXPECT_EQ(model.stages()[1].blocks.size(), 1u);
  torch::NoGradGuard no_grad;
  const auto expected = to_matrix(net->forward(x));
  EXPECT_LT(max_abs_diff(model.apply(to_matrix(x)), expected), 1e-5);
}

TEST(DeepMdsTrain, ModelFileRoundTripGivesIdenticalOutputs) {
  const auto train = identity_set(12, 4, 32, 4, kSpread, 4, 5);
  auto options = small_options();
  options.output_dim = 8;
  options.epochs_per_stage = 2;
  options.residual_blocks = 1;
  const auto model = train_deep_mds(train.x, train.labels, options);
  const auto bytes = save_model(model);
  const auto loaded = load_model(bytes, "<test>", 32, 8);
  ASSERT_EQ(loaded->kind(), ModelKind::kDeepMds);
  EXPECT_EQ(loaded->describe(), model.describe());
  const auto a = model.apply(train.x), b = loaded->apply(train.x);
  EXPECT_EQ(a.values, b.values);  // bit for bit
}

TEST(DeepMdsTrain, SameSeedSameModelAndFrozenStagesStayFrozen) {
  const auto train = identity_set(12, 4, 32, 4, kSpread, 6, 7);
  auto options = small_options();
  options.output_dim = 8;
  options.stage_dims = {16, 8};
  options.epochs_per_stage = 3;
  options.joint_finetune = false;
  const auto a = train_deep_mds(train.x, train.labels, options);
  const auto b = train_deep_mds(train.x, train.labels, options);
  EXPECT_EQ(a.stages()[1].fc1.weight, b.stages()[1].fc1.weight);
  // Stage 1 of a frozen two-stage run is the one-stage run with the same
  // seed: the second stage never changed it.
  auto one = options;
  one.output_dim = 16;
  one.stage_dims = {16};
  const auto c = train_deep_mds(train.x, train.labels, one);
  EXPECT_EQ(a.stages()[0].skip.weight, c.stages()[0].skip.weight);
  EXPECT_EQ(a.stages()[0].slopes, c.stages()[0].slopes);
  // Jointly fine-tuned, stage 1 moves on during stage 2.
  options.joint_finetune = true;
  const auto d = train_deep_mds(train.x, train.labels, options);
  EXPECT_NE(d.stages()[0].skip.weight, c.stages()[0].skip.weight);
}

TEST(DeepMdsTrain, RefusesBadInput) {
  auto train = identity_set(6, 3, 16, 4, kSpread, 8, 9);
  auto options = small_options();
  options.output_dim = 4;
  options.epochs_per_stage = 1;
  auto short_labels = train.labels;
  short_labels.pop_back();
  EXPECT_THROW(train_deep_mds(train.x, short_labels, options), std::invalid_argument);
  options.output_dim = 17;
  EXPECT_THROW(train_deep_mds(train.x, train.labels, options), std::invalid_argument);
  options.output_dim = 4;
  train.x.values[5] = std::nanf("");
  EXPECT_THROW(train_deep_mds(train.x, train.labels, options), std::invalid_argument);
  data::LabeledSet unlabelled;
  unlabelled.name = "no-labels";
  unlabelled.x = train.x;
  EXPECT_THROW(train_deep_mds(unlabelled, options), std::invalid_argument);
  // Every identity a singleton: no genuine pairs to learn from.
  auto lone = identity_set(6, 1, 16, 4, kSpread, 8, 9);
  EXPECT_THROW(train_deep_mds(lone.x, lone.labels, options), std::invalid_argument);
}

}  // namespace
}  // namespace veil::reduce
