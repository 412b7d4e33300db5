// The DeepMDS++ network as libtorch modules, mirroring deep_mds.h layer for
// layer so that export is a copy of weights:
//
//   stage(x) = skip(x) + fc2(prelu(fc1(x)));  h += block(h) per extra block;
//   output = h / |h|
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <span>
#include <vector>

#include "veil/reduce/deep_mds.h"
#include "veil/reduce/torch/deep_mds_train.h"

namespace veil::reduce {

struct ResidualBlockNetImpl : torch::nn::Module {
  explicit ResidualBlockNetImpl(std::int64_t width);
  torch::Tensor forward(const torch::Tensor& h);  // h + fc2(prelu(fc1(h)))
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::nn::PReLU prelu{nullptr};
};
TORCH_MODULE(ResidualBlockNet);

struct MdsStageNetImpl : torch::nn::Module {
  MdsStageNetImpl(std::int64_t in, std::int64_t out, std::int64_t residual_blocks);
  torch::Tensor forward(const torch::Tensor& x);  // L2-normalised rows
  torch::nn::Linear skip{nullptr}, fc1{nullptr}, fc2{nullptr};
  torch::nn::PReLU prelu{nullptr};
  std::vector<ResidualBlockNet> blocks;
  // Sum of squared entries of the weight matrices (not biases, not slopes).
  torch::Tensor weight_sq_norm() const;
};
TORCH_MODULE(MdsStageNet);

struct DeepMdsNetImpl : torch::nn::Module {
  // Appends a stage in -> out; in must equal the current output width.
  MdsStageNet add_stage(std::int64_t in, std::int64_t out, std::int64_t residual_blocks);
  // All stages, or the first `count` of them.
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor forward_first(const torch::Tensor& x, std::size_t count);
  std::vector<MdsStageNet> stages;
};
TORCH_MODULE(DeepMdsNet);

// The plain-C++ model with the same weights (float32 copies).
DeepMdsModel export_model(const DeepMdsNet& net);

// rows x cols float32 tensor copied from a matrix, and back.
torch::Tensor to_tensor(const data::Matrix& m);
data::Matrix to_matrix(const torch::Tensor& t);

// train_deep_mds, returning the torch network instead of the export.
DeepMdsNet train_deep_mds_net(const data::Matrix& x, std::span<const std::int64_t> labels,
                              const DeepMdsTrainOptions& options, const ProgressFn& progress = {});

}  // namespace veil::reduce
