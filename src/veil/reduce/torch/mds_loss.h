// The DeepMDS++ training loss (HERS) and its hard-pair mining, as pure
// functions on small tensors so that tests can check them by hand.
//
// For a batch of input rows x (n x D), their network outputs y (n x d) and
// identity labels (n), every unordered pair i < j is genuine (same label) or
// impostor (different labels). With c(u, v) the cosine similarity,
//
//   err(i, j)  = |c(x_i, x_j) - c(y_i, y_j)|
//   genuine    = mean err over the kept genuine pairs
//   impostor   = mean err over the kept impostor pairs
//   covariance = mean |C_ab| over a != b, C = (1/n) sum_i (y_i - m)(y_i - m)^T,
//                m the batch mean of y (population covariance)
//   total      = genuine + impostor + cov_weight * covariance (cov_weight 10)
//
// "Kept" is the hard-pair mining: pairs ranked by err, the worst
// ceil(keep_fraction * count) of each kind kept (at least one). Weight decay
// is not part of this function: the trainer adds it (deep_mds_train.h).
//
// The published code divides the sum of |off-diagonal| entries by d^2 (the
// mean over the whole matrix with a zero diagonal); here it is the mean over
// the d(d-1) off-diagonal entries, i.e. larger by d/(d-1).
#pragma once

#include <torch/torch.h>

namespace veil::reduce {

inline constexpr double kCovarianceWeight = 10.0;

// All pairs i < j of a batch, split by label: 1-D int64 tensors of row
// indices, pairs in row-major (i, then j) order.
struct BatchPairs {
  torch::Tensor genuine_i, genuine_j;
  torch::Tensor impostor_i, impostor_j;
};
BatchPairs batch_pairs(const torch::Tensor& labels);

// c(x_i, x_j) for each listed pair (rows are normalised first; a zero row
// has cosine 0 with everything).
torch::Tensor pair_cosines(const torch::Tensor& x, const torch::Tensor& i, const torch::Tensor& j);

// Positions (int64, into errors) of the ceil(keep_fraction * n) largest
// errors, largest first; at least one when n > 0, none when n == 0.
// keep_fraction in (0, 1], otherwise std::invalid_argument.
torch::Tensor mine_hardest(const torch::Tensor& errors, double keep_fraction);

// Mean |C_ab|, a != b, of the population covariance of the rows of y
// (0 when y has a single column).
torch::Tensor covariance_penalty(const torch::Tensor& y);

struct MdsLoss {
  torch::Tensor genuine, impostor, covariance, total;  // scalars
  std::int64_t genuine_pairs = 0, impostor_pairs = 0;  // before mining
  std::int64_t genuine_kept = 0, impostor_kept = 0;
};

// The loss of one batch (see the top of this file). x: n x D, y: n x d,
// labels: n integers; std::invalid_argument when the row counts differ.
// A batch without genuine (or impostor) pairs gets 0 for that term.
MdsLoss mds_loss(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& labels,
                 double keep_fraction, double cov_weight = kCovarianceWeight);

}  // namespace veil::reduce
