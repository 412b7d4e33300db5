// DeepMDS++ training (HERS): options, the stage plan, and the entry point
// that trains on a labelled embedding matrix and returns the plain-C++ model
// (deep_mds.h). This header does not include libtorch; the torch modules and
// the loss live in deep_mds_net.h and mds_loss.h. See README.md here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "veil/data/labeled_sets.h"
#include "veil/data/matrix.h"
#include "veil/reduce/deep_mds.h"

namespace veil::reduce {

struct DeepMdsTrainOptions {
  std::size_t output_dim = 32;
  // Output width of each stage, the last equal to output_dim. Empty: halve
  // the input until the next halving would drop below output_dim, then one
  // last stage to output_dim (512 -> 16: 256, 128, 64, 32, 16).
  std::vector<std::size_t> stage_dims;
  std::size_t residual_blocks = 0;  // extra residual blocks per stage

  std::size_t epochs_per_stage = 20;
  // An epoch is ceil(rows / (P * K)) batches of P identities x K samples.
  std::size_t identities_per_batch = 16;  // P
  std::size_t samples_per_identity = 4;   // K
  double learning_rate = 1e-3;            // Adam
  // Explicit L2 on the weight matrices of the trained stages (not biases or
  // PReLU slopes): loss += weight_decay / 2 * sum ||W||_F^2, i.e. a gradient
  // of weight_decay * W, the same as Adam's coupled weight_decay restricted
  // to the weights (which would otherwise pull PReLU slopes to 0).
  double weight_decay = 1e-4;
  double cov_weight = 10.0;  // weight of the covariance penalty (HERS: 10)

  // Hard-pair mining: the fraction of genuine (and, separately, impostor)
  // pairs kept per batch falls linearly from mine_start at a stage's first
  // epoch to mine_end at its last, restarting with every stage.
  double mine_start = 1.0;
  double mine_end = 0.2;

  // false (default): when stage s is added, stages 1..s-1 keep their trained
  // weights frozen and only stage s learns. true: they are fine-tuned along
  // with it, at finetune_lr_scale * learning_rate.
  bool joint_finetune = false;
  double finetune_lr_scale = 0.1;

  std::uint64_t seed = 1;  // batch sampling (ring::Xof) and torch's weight init
  // torch intra-op threads while training (restored afterwards); 0 leaves
  // torch's setting alone. The default is 1: for batches of a few dozen rows
  // a second thread costs more than it saves (README.md).
  int threads = 1;
};

struct TrainProgress {
  std::size_t stage = 0, stages = 0;          // 1-based stage
  std::size_t epoch = 0, epochs = 0;          // 1-based epoch within the stage
  std::size_t input_dim = 0, output_dim = 0;  // of this stage
  double keep_fraction = 1.0;
  // Means over the epoch's batches (loss = genuine + impostor +
  // cov_weight * covariance + weight_decay_term).
  double loss = 0, genuine = 0, impostor = 0, covariance = 0, weight_decay_term = 0;
};
using ProgressFn = std::function<void(const TrainProgress&)>;

// The default stage widths for input_dim -> output_dim (see stage_dims).
// std::invalid_argument unless 1 <= output_dim <= input_dim; 512 -> 512 is a
// single square stage.
std::vector<std::size_t> plan_stage_dims(std::size_t input_dim, std::size_t output_dim);

// The stage widths the options ask for (stage_dims, or the plan), checked:
// every width positive, at most the previous one, the last == output_dim.
std::vector<std::size_t> resolve_stage_dims(const DeepMdsTrainOptions& options,
                                            std::size_t input_dim);

// std::invalid_argument naming the field and its value for a bad option.
void validate_options(const DeepMdsTrainOptions& options, std::size_t input_dim);

// Keep fraction at 0-based epoch `epoch` of a stage (linear schedule).
double keep_fraction_at(const DeepMdsTrainOptions& options, std::size_t epoch);

// Trains DeepMDS++ on x (rows = embeddings) with one identity label per row
// and exports it. std::invalid_argument for bad options, a label count other
// than x.rows, non-finite input, or too few identities with two samples.
DeepMdsModel train_deep_mds(const data::Matrix& x, std::span<const std::int64_t> labels,
                            const DeepMdsTrainOptions& options, const ProgressFn& progress = {});

// The same on a labelled set (data/labeled_sets.h); a set without labels is
// std::invalid_argument.
DeepMdsModel train_deep_mds(const data::LabeledSet& set, const DeepMdsTrainOptions& options,
                            const ProgressFn& progress = {});

}  // namespace veil::reduce
