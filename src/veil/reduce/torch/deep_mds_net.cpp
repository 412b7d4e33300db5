#include "veil/reduce/torch/deep_mds_net.h"

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace veil::reduce {

namespace {

torch::nn::Linear make_linear(std::int64_t in, std::int64_t out) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(true));
}

torch::nn::PReLU make_prelu(std::int64_t channels) {
  return torch::nn::PReLU(torch::nn::PReLUOptions().num_parameters(channels).init(0.25));
}

std::vector<float> to_floats(const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  const float* p = c.data_ptr<float>();
  return std::vector<float>(p, p + c.numel());
}

DenseLayer export_dense(const torch::nn::Linear& l) {
  DenseLayer d;
  d.in = static_cast<std::size_t>(l->weight.size(1));
  d.out = static_cast<std::size_t>(l->weight.size(0));
  d.weight = to_floats(l->weight);
  d.bias = to_floats(l->bias);
  return d;
}

torch::Tensor l2_rows(const torch::Tensor& h) {
  // clamp_min keeps a zero row zero, as DeepMdsModel::apply does.
  return h / h.norm(2, 1, true).clamp_min(1e-12);
}

}  // namespace

ResidualBlockNetImpl::ResidualBlockNetImpl(std::int64_t width)
    : fc1(register_module("fc1", make_linear(width, width))),
      fc2(register_module("fc2", make_linear(width, width))),
      prelu(register_module("prelu", make_prelu(width))) {}

torch::Tensor ResidualBlockNetImpl::forward(const torch::Tensor& h) {
  return h + fc2(prelu(fc1(h)));
}

MdsStageNetImpl::MdsStageNetImpl(std::int64_t in, std::int64_t out, std::int64_t residual_blocks)
    : skip(register_module("skip", make_linear(in, out))),
      fc1(register_module("fc1", make_linear(in, out))),
      fc2(register_module("fc2", make_linear(out, out))),
      prelu(register_module("prelu", make_prelu(out))) {
  for (std::int64_t b = 0; b < residual_blocks; ++b) {
    blocks.push_back(register_module("block" + std::to_string(b), ResidualBlockNet(out)));
  }
}

torch::Tensor MdsStageNetImpl::forward(const torch::Tensor& x) {
  auto h = skip(x) + fc2(prelu(fc1(x)));
  for (auto& b : blocks) h = b(h);
  return l2_rows(h);
}

torch::Tensor MdsStageNetImpl::weight_sq_norm() const {
  auto s = skip->weight.pow(2).sum() + fc1->weight.pow(2).sum() + fc2->weight.pow(2).sum();
  for (const auto& b : blocks) s = s + b->fc1->weight.pow(2).sum() + b->fc2->weight.pow(2).sum();
  return s;
}

MdsStageNet DeepMdsNetImpl::add_stage(std::int64_t in, std::int64_t out,
                                      std::int64_t residual_blocks) {
  if (!stages.empty() && stages.back()->skip->weight.size(0) != in) {
    throw std::invalid_argument("DeepMdsNet::add_stage: stage " +
                                std::to_string(stages.size() + 1) + " takes " + std::to_string(in) +
                                " inputs, expected " +
                                std::to_string(stages.back()->skip->weight.size(0)));
  }
  if (in <= 0 || out <= 0 || residual_blocks < 0) {
    throw std::invalid_argument("DeepMdsNet::add_stage: bad shape " + std::to_string(in) + " -> " +
                                std::to_string(out) + " with " + std::to_string(residual_blocks) +
                                " blocks");
  }
  auto stage = register_module("stage" + std::to_string(stages.size() + 1),
                               MdsStageNet(in, out, residual_blocks));
  stages.push_back(stage);
  return stage;
}

torch::Tensor DeepMdsNetImpl::forward(const torch::Tensor& x) {
  return forward_first(x, stages.size());
}

torch::Tensor DeepMdsNetImpl::forward_first(const torch::Tensor& x, std::size_t count) {
  if (count > stages.size()) {
    throw std::invalid_argument("DeepMdsNet::forward_first: " + std::to_string(count) +
                                " stages asked, the net has " + std::to_string(stages.size()));
  }
  auto h = x;
  for (std::size_t s = 0; s < count; ++s) h = stages[s](h);
  return h;
}

DeepMdsModel export_model(const DeepMdsNet& net) {
  std::vector<MdsStage> out;
  for (const auto& s : net->stages) {
    MdsStage m;
    m.skip = export_dense(s->skip);
    m.fc1 = export_dense(s->fc1);
    m.slopes = to_floats(s->prelu->weight);
    m.fc2 = export_dense(s->fc2);
    for (const auto& b : s->blocks) {
      m.blocks.push_back({export_dense(b->fc1), to_floats(b->prelu->weight), export_dense(b->fc2)});
    }
    out.push_back(std::move(m));
  }
  return DeepMdsModel(std::move(out));
}

torch::Tensor to_tensor(const data::Matrix& m) {
  if (m.values.size() != m.rows * m.cols) {
    throw std::invalid_argument("to_tensor: matrix holds " + std::to_string(m.values.size()) +
                                " values, expected " + std::to_string(m.rows) + " x " +
                                std::to_string(m.cols));
  }
  auto t = torch::empty({static_cast<std::int64_t>(m.rows), static_cast<std::int64_t>(m.cols)},
                        torch::kFloat);
  std::copy(m.values.begin(), m.values.end(), t.data_ptr<float>());
  return t;
}

data::Matrix to_matrix(const torch::Tensor& t) {
  if (t.dim() != 2) {
    std::ostringstream msg;
    msg << "to_matrix: expected a matrix, got shape " << t.sizes();
    throw std::invalid_argument(msg.str());
  }
  return {static_cast<std::size_t>(t.size(0)), static_cast<std::size_t>(t.size(1)), to_floats(t)};
}

}  // namespace veil::reduce
