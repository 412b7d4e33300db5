#include "veil/reduce/torch/deep_mds_train.h"

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "veil/reduce/torch/deep_mds_net.h"
#include "veil/reduce/torch/mds_loss.h"
#include "veil/reduce/torch/pk_sampler.h"
#include "veil/reduce/torch/torch_threads.h"

namespace veil::reduce {

namespace {

[[noreturn]] void bad_option(const std::string& field, const std::string& got,
                             const std::string& expected) {
  throw std::invalid_argument("DeepMdsTrainOptions." + field + ": got " + got + ", expected " +
                              expected);
}

struct EpochSums {
  double loss = 0, genuine = 0, impostor = 0, covariance = 0, decay = 0;
};

}  // namespace

std::vector<std::size_t> plan_stage_dims(std::size_t input_dim, std::size_t output_dim) {
  if (output_dim == 0 || output_dim > input_dim) {
    throw std::invalid_argument("plan_stage_dims: output dimension " + std::to_string(output_dim) +
                                " must be in [1, " + std::to_string(input_dim) + "]");
  }
  std::vector<std::size_t> dims;
  std::size_t d = input_dim;
  while (d / 2 >= output_dim && d / 2 > 0) {
    d /= 2;
    if (d == output_dim) break;
    dims.push_back(d);
  }
  dims.push_back(output_dim);
  return dims;
}

std::vector<std::size_t> resolve_stage_dims(const DeepMdsTrainOptions& options,
                                            std::size_t input_dim) {
  if (options.stage_dims.empty()) return plan_stage_dims(input_dim, options.output_dim);
  std::size_t prev = input_dim;
  for (std::size_t s = 0; s < options.stage_dims.size(); ++s) {
    const std::size_t d = options.stage_dims[s];
    if (d == 0 || d > prev) {
      bad_option("stage_dims[" + std::to_string(s) + "]", std::to_string(d),
                 "a width in [1, " + std::to_string(prev) + "]");
    }
    prev = d;
  }
  if (prev != options.output_dim) {
    bad_option("stage_dims", "a last width of " + std::to_string(prev),
               "output_dim = " + std::to_string(options.output_dim));
  }
  return options.stage_dims;
}

void validate_options(const DeepMdsTrainOptions& o, std::size_t input_dim) {
  if (o.output_dim == 0 || o.output_dim > input_dim) {
    bad_option("output_dim", std::to_string(o.output_dim),
               "[1, " + std::to_string(input_dim) + "] (the input dimension)");
  }
  if (o.epochs_per_stage == 0) bad_option("epochs_per_stage", "0", ">= 1");
  if (o.identities_per_batch < 2) {
    bad_option("identities_per_batch", std::to_string(o.identities_per_batch), ">= 2");
  }
  if (o.samples_per_identity < 2) {
    bad_option("samples_per_identity", std::to_string(o.samples_per_identity), ">= 2");
  }
  if (!(o.learning_rate > 0) || !std::isfinite(o.learning_rate)) {
    bad_option("learning_rate", std::to_string(o.learning_rate), "finite and > 0");
  }
  if (!(o.weight_decay >= 0) || !std::isfinite(o.weight_decay)) {
    bad_option("weight_decay", std::to_string(o.weight_decay), "finite and >= 0");
  }
  if (!(o.cov_weight >= 0) || !std::isfinite(o.cov_weight)) {
    bad_option("cov_weight", std::to_string(o.cov_weight), "finite and >= 0");
  }
  if (!(o.mine_start > 0 && o.mine_start <= 1)) {
    bad_option("mine_start", std::to_string(o.mine_start), "in (0, 1]");
  }
  if (!(o.mine_end > 0 && o.mine_end <= o.mine_start)) {
    bad_option("mine_end", std::to_string(o.mine_end),
               "in (0, mine_start = " + std::to_string(o.mine_start) + "]");
  }
  if (!(o.finetune_lr_scale > 0 && o.finetune_lr_scale <= 1)) {
    bad_option("finetune_lr_scale", std::to_string(o.finetune_lr_scale), "in (0, 1]");
  }
  if (o.threads < 0) bad_option("threads", std::to_string(o.threads), ">= 0");
  if (o.residual_blocks > 64) {
    bad_option("residual_blocks", std::to_string(o.residual_blocks), "<= 64");
  }
  resolve_stage_dims(o, input_dim);
}

double keep_fraction_at(const DeepMdsTrainOptions& o, std::size_t epoch) {
  if (o.epochs_per_stage <= 1) return o.mine_start;
  const double t = static_cast<double>(std::min(epoch, o.epochs_per_stage - 1)) /
                   static_cast<double>(o.epochs_per_stage - 1);
  return o.mine_start + (o.mine_end - o.mine_start) * t;
}

DeepMdsNet train_deep_mds_net(const data::Matrix& x, std::span<const std::int64_t> labels,
                              const DeepMdsTrainOptions& options, const ProgressFn& progress) {
  validate_options(options, x.cols);
  if (labels.size() != x.rows) {
    throw std::invalid_argument("train_deep_mds: " + std::to_string(labels.size()) +
                                " labels for " + std::to_string(x.rows) + " rows");
  }
  for (float v : x.values) {
    if (!std::isfinite(v)) throw std::invalid_argument("train_deep_mds: non-finite input value");
  }
  const auto dims = resolve_stage_dims(options, x.cols);
  PkSampler sampler(labels, options.identities_per_batch, options.samples_per_identity,
                    options.seed);
  ScopedTorchThreads threads(options.threads);
  torch::manual_seed(options.seed);  // weight init only; batches come from the Xof

  const auto all_x = to_tensor(x);
  const auto all_labels = torch::from_blob(const_cast<std::int64_t*>(labels.data()),
                                           {static_cast<std::int64_t>(labels.size())}, torch::kLong)
                              .clone();

  DeepMdsNet net;
  std::size_t in = x.cols;
  for (std::size_t s = 0; s < dims.size(); ++s) {
    auto stage = net->add_stage(static_cast<std::int64_t>(in), static_cast<std::int64_t>(dims[s]),
                                static_cast<std::int64_t>(options.residual_blocks));
    // With frozen earlier stages, their output for every row is computed once;
    // the loss still compares against the cosines of the original inputs.
    torch::Tensor frozen_in;
    if (!options.joint_finetune) {
      torch::NoGradGuard no_grad;
      frozen_in = net->forward_first(all_x, s);
    }
    // One Adam per stage (fresh moments). Jointly fine-tuned earlier stages
    // learn at finetune_lr_scale * learning_rate: at the full rate the fresh
    // optimiser's first steps undo much of what they learnt (README.md).
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(stage->parameters(),
                        std::make_unique<torch::optim::AdamOptions>(options.learning_rate));
    if (options.joint_finetune && s > 0) {
      std::vector<torch::Tensor> earlier;
      for (std::size_t t = 0; t < s; ++t) {
        for (auto& p : net->stages[t]->parameters()) earlier.push_back(p);
      }
      groups.emplace_back(earlier, std::make_unique<torch::optim::AdamOptions>(
                                       options.learning_rate * options.finetune_lr_scale));
    }
    torch::optim::Adam adam(std::move(groups), torch::optim::AdamOptions(options.learning_rate));
    net->train();

    for (std::size_t epoch = 0; epoch < options.epochs_per_stage; ++epoch) {
      const double keep = keep_fraction_at(options, epoch);
      EpochSums sums;
      const std::size_t batches = sampler.batches_per_epoch();
      for (std::size_t b = 0; b < batches; ++b) {
        const auto rows = sampler.next_batch();
        std::vector<std::int64_t> idx(rows.begin(), rows.end());
        const auto index = torch::tensor(idx, torch::kLong);
        const auto xb = all_x.index_select(0, index);
        const auto yb = options.joint_finetune ? net->forward(xb)
                                               : stage->forward(frozen_in.index_select(0, index));
        const auto terms =
            mds_loss(xb, yb, all_labels.index_select(0, index), keep, options.cov_weight);
        auto decay = torch::zeros({});
        if (options.weight_decay > 0) {
          for (std::size_t t = options.joint_finetune ? 0 : s; t <= s; ++t) {
            decay = decay + net->stages[t]->weight_sq_norm();
          }
          decay = decay * (options.weight_decay / 2);
        }
        const auto total = terms.total + decay;
        adam.zero_grad();
        total.backward();
        adam.step();
        sums.loss += total.item<double>();
        sums.genuine += terms.genuine.item<double>();
        sums.impostor += terms.impostor.item<double>();
        sums.covariance += terms.covariance.item<double>();
        sums.decay += decay.item<double>();
      }
      if (progress) {
        const double n = static_cast<double>(batches);
        TrainProgress p;
        p.stage = s + 1;
        p.stages = dims.size();
        p.epoch = epoch + 1;
        p.epochs = options.epochs_per_stage;
        p.input_dim = in;
        p.output_dim = dims[s];
        p.keep_fraction = keep;
        p.loss = sums.loss / n;
        p.genuine = sums.genuine / n;
        p.impostor = sums.impostor / n;
        p.covariance = sums.covariance / n;
        p.weight_decay_term = sums.decay / n;
        progress(p);
      }
    }
    in = dims[s];
  }
  net->eval();
  return net;
}

DeepMdsModel train_deep_mds(const data::Matrix& x, std::span<const std::int64_t> labels,
                            const DeepMdsTrainOptions& options, const ProgressFn& progress) {
  return export_model(train_deep_mds_net(x, labels, options, progress));
}

DeepMdsModel train_deep_mds(const data::LabeledSet& set, const DeepMdsTrainOptions& options,
                            const ProgressFn& progress) {
  if (set.labels.empty()) {
    throw std::invalid_argument("train_deep_mds: set '" + set.name + "' has no labels (" +
                                std::to_string(set.x.rows) + " rows)");
  }
  return train_deep_mds(set.x, set.labels, options, progress);
}

}  // namespace veil::reduce
