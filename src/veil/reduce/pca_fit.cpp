// PcaModel::fit: covariance in double, accumulated over blocks of rows (the
// training set is never copied whole), then an Eigen symmetric eigensolver.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "veil/reduce/model_io.h"
#include "veil/reduce/pca.h"

namespace veil::reduce {

namespace {

constexpr std::size_t kBlockRows = 256;

[[noreturn]] void invalid(const std::string& what) {
  throw std::invalid_argument("pca fit: " + what);
}

// Flips v so that its largest-magnitude entry (the first one on a tie) is
// positive: eigenvectors are only defined up to sign.
void fix_sign(Eigen::VectorXd& v) {
  Eigen::Index best = 0;
  for (Eigen::Index j = 1; j < v.size(); ++j)
    if (std::abs(v[j]) > std::abs(v[best])) best = j;
  if (v[best] < 0) v = -v;
}

}  // namespace

PcaModel PcaModel::fit(const data::Matrix& x, std::size_t output_dim, PcaOptions options) {
  const std::size_t n = x.rows, d = x.cols;
  if (n < 2) invalid("needs at least 2 rows, got " + std::to_string(n));
  if (d == 0 || d > detail::kMaxModelDim) {
    invalid("input has " + std::to_string(d) + " columns, expected 1 to " +
            std::to_string(detail::kMaxModelDim));
  }
  if (output_dim == 0 || output_dim > d) {
    invalid("output_dim " + std::to_string(output_dim) + ", expected 1 to " + std::to_string(d) +
            " (the input dimension)");
  }
  if (x.values.size() != n * d) {
    invalid("matrix holds " + std::to_string(x.values.size()) + " values, expected " +
            std::to_string(n) + " x " + std::to_string(d));
  }
  for (std::size_t i = 0; i < n * d; ++i) {
    if (!std::isfinite(x.values[i])) {
      invalid("value at row " + std::to_string(i / d) + ", column " + std::to_string(i % d) +
              " is not finite");
    }
  }

  std::vector<double> scale(n, 1.0);
  if (options.normalize_input_rows) {
    for (std::size_t i = 0; i < n; ++i) {
      double norm = 0;
      for (std::size_t j = 0; j < d; ++j) norm += static_cast<double>(x.row(i)[j]) * x.row(i)[j];
      if (norm > 0) scale[i] = 1 / std::sqrt(norm);
    }
  }
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(d));
  if (options.center) {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j)
        mean[static_cast<Eigen::Index>(j)] += x.row(i)[j] * scale[i];
    mean /= static_cast<double>(n);
  }

  // Lower triangle of sum_i (x_i - mean)(x_i - mean)^T.
  const auto di = static_cast<Eigen::Index>(d);
  Eigen::MatrixXd scatter = Eigen::MatrixXd::Zero(di, di);
  Eigen::MatrixXd block(static_cast<Eigen::Index>(kBlockRows), di);
  for (std::size_t start = 0; start < n; start += kBlockRows) {
    const std::size_t m = std::min(kBlockRows, n - start);
    for (std::size_t r = 0; r < m; ++r) {
      const float* row = x.row(start + r);
      for (std::size_t j = 0; j < d; ++j) {
        block(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(j)) =
            row[j] * scale[start + r] - mean[static_cast<Eigen::Index>(j)];
      }
    }
    scatter.selfadjointView<Eigen::Lower>().rankUpdate(
        block.topRows(static_cast<Eigen::Index>(m)).transpose());
  }
  scatter /= static_cast<double>(n - 1);

  // Reads the lower triangle only; eigenvalues come in increasing order.
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(scatter);
  if (solver.info() != Eigen::Success) throw std::runtime_error("pca fit: eigensolver failed");

  data::Matrix components{output_dim, d, std::vector<float>(output_dim * d)};
  std::vector<double> variance(output_dim);
  for (std::size_t c = 0; c < output_dim; ++c) {
    const Eigen::Index idx = di - 1 - static_cast<Eigen::Index>(c);
    Eigen::VectorXd v = solver.eigenvectors().col(idx);
    fix_sign(v);
    for (std::size_t j = 0; j < d; ++j)
      components.row(c)[j] = static_cast<float>(v[static_cast<Eigen::Index>(j)]);
    variance[c] = std::max(0.0, solver.eigenvalues()[idx]);  // rounding can give -1e-17
  }
  std::vector<float> mean_f(d);
  for (std::size_t j = 0; j < d; ++j)
    mean_f[j] = static_cast<float>(mean[static_cast<Eigen::Index>(j)]);
  return PcaModel(options, std::move(mean_f), std::move(components), std::move(variance),
                  std::max(0.0, scatter.trace()));
}

}  // namespace veil::reduce
