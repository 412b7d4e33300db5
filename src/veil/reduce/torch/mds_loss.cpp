#include "veil/reduce/torch/mds_loss.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace veil::reduce {

BatchPairs batch_pairs(const torch::Tensor& labels) {
  if (labels.dim() != 1) {
    throw std::invalid_argument("batch_pairs: labels must be 1-D, got " +
                                std::to_string(labels.dim()) + " dimensions");
  }
  const std::int64_t n = labels.size(0);
  const auto ij = torch::triu_indices(n, n, 1, torch::kLong);
  const auto i = ij[0], j = ij[1];
  const auto same = labels.index_select(0, i) == labels.index_select(0, j);
  const auto other = same.logical_not();
  return {i.masked_select(same), j.masked_select(same), i.masked_select(other),
          j.masked_select(other)};
}

torch::Tensor pair_cosines(const torch::Tensor& x, const torch::Tensor& i, const torch::Tensor& j) {
  // clamp_min keeps a zero row at zero instead of dividing by zero.
  const auto unit = x / x.norm(2, 1, true).clamp_min(1e-12);
  return (unit.index_select(0, i) * unit.index_select(0, j)).sum(1);
}

torch::Tensor mine_hardest(const torch::Tensor& errors, double keep_fraction) {
  if (!(keep_fraction > 0.0 && keep_fraction <= 1.0)) {
    throw std::invalid_argument("mine_hardest: keep fraction must be in (0, 1], got " +
                                std::to_string(keep_fraction));
  }
  const std::int64_t n = errors.numel();
  if (n == 0) return torch::empty({0}, torch::kLong);
  // The small slack keeps e.g. 0.3 * 10 from rounding up to 4.
  auto keep = static_cast<std::int64_t>(std::ceil(keep_fraction * static_cast<double>(n) - 1e-9));
  keep = std::clamp<std::int64_t>(keep, 1, n);
  return std::get<1>(errors.detach().reshape({n}).topk(keep, 0, true, true));
}

torch::Tensor covariance_penalty(const torch::Tensor& y) {
  if (y.dim() != 2) {
    throw std::invalid_argument("covariance_penalty: expected a matrix, got " +
                                std::to_string(y.dim()) + " dimensions");
  }
  const std::int64_t n = y.size(0), d = y.size(1);
  if (d < 2 || n == 0) return torch::zeros({}, y.options());
  const auto centred = y - y.mean(0, true);
  const auto cov = centred.t().mm(centred) / static_cast<double>(n);
  const auto off = cov - torch::diag(torch::diag(cov));
  return off.abs().sum() / static_cast<double>(d * (d - 1));
}

namespace {

// Mean of the kept errors; the mining sees detached errors, the mean keeps
// the graph so only the kept pairs get gradients.
torch::Tensor mined_mean(const torch::Tensor& errors, double keep_fraction, std::int64_t& kept) {
  const auto pick = mine_hardest(errors, keep_fraction);
  kept = pick.numel();
  if (kept == 0) return torch::zeros({}, errors.options());
  return errors.index_select(0, pick).mean();
}

}  // namespace

MdsLoss mds_loss(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& labels,
                 double keep_fraction, double cov_weight) {
  if (x.dim() != 2 || y.dim() != 2 || labels.dim() != 1 || x.size(0) != y.size(0) ||
      x.size(0) != labels.size(0)) {
    std::ostringstream msg;
    msg << "mds_loss: expected x (n x D), y (n x d), labels (n), got x " << x.sizes() << ", y "
        << y.sizes() << ", labels " << labels.sizes();
    throw std::invalid_argument(msg.str());
  }
  const auto pairs = batch_pairs(labels);
  const auto xd = x.detach();  // the targets: cosines of the inputs
  const auto gen_err = (pair_cosines(xd, pairs.genuine_i, pairs.genuine_j) -
                        pair_cosines(y, pairs.genuine_i, pairs.genuine_j))
                           .abs();
  const auto imp_err = (pair_cosines(xd, pairs.impostor_i, pairs.impostor_j) -
                        pair_cosines(y, pairs.impostor_i, pairs.impostor_j))
                           .abs();
  MdsLoss out;
  out.genuine_pairs = gen_err.numel();
  out.impostor_pairs = imp_err.numel();
  out.genuine = mined_mean(gen_err, keep_fraction, out.genuine_kept);
  out.impostor = mined_mean(imp_err, keep_fraction, out.impostor_kept);
  out.covariance = covariance_penalty(y);
  out.total = out.genuine + out.impostor + cov_weight * out.covariance;
  return out;
}

}  // namespace veil::reduce
