// Principal component analysis: a linear map onto the directions of largest
// variance of a training set, fitted with Eigen in double precision.
//
// apply(x): optionally L2-normalise each input row (as fit did), subtract the
// mean, project onto the components, L2-normalise each output row.
//
// File fields (after the common header of model.h; d = input_dim, k = output_dim):
//   u8  flags: bit 0 normalize_input_rows, bit 1 centred (others must be 0)
//   f64 total variance of the (normalised) training data
//   f64 explained variance of each component, k values
//   f32 mean, d values (all zero when not centred)
//   f32 components, k x d, row-major
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "veil/data/matrix.h"
#include "veil/reduce/model.h"

namespace veil::io {
class ByteReader;
}

namespace veil::reduce {

struct PcaOptions {
  bool center = true;                // subtract the training mean (else the mean is zero)
  bool normalize_input_rows = true;  // L2-normalise rows before fitting and applying
};

class PcaModel final : public Reducer {
 public:
  // Fits `output_dim` components to the rows of `x`. Needs at least 2 rows,
  // 1 <= output_dim <= x.cols and finite values (std::invalid_argument with
  // the values found otherwise). Components are orthonormal, sorted by
  // decreasing explained variance, and each has its largest-magnitude entry
  // (the first one on a tie) positive, so a fit is reproducible.
  static PcaModel fit(const data::Matrix& x, std::size_t output_dim, PcaOptions options = {});

  // A model from its parts: mean of d values, components k x d with
  // 1 <= k <= d, k explained variances (finite, >= 0), total variance (finite,
  // >= 0), all values finite, and a zero mean when !options.center
  // (std::invalid_argument naming the part otherwise). The components are used
  // as given: orthonormality is fit()'s promise, not checked here.
  PcaModel(PcaOptions options, std::vector<float> mean, data::Matrix components,
           std::vector<double> explained_variance, double total_variance);

  ModelKind kind() const override { return ModelKind::kPca; }
  std::size_t input_dim() const override { return components_.cols; }
  std::size_t output_dim() const override { return components_.rows; }
  data::Matrix apply(const data::Matrix& x) const override;
  void write_fields(std::vector<std::uint8_t>& out) const override;
  // "pca 512->32 (explains 83.1% of variance)"
  std::string describe() const override;

  // The coordinates along the components before the output rows are
  // normalised (apply() is project() followed by normalize_rows()).
  data::Matrix project(const data::Matrix& x) const;

  const PcaOptions& options() const { return options_; }
  const std::vector<float>& mean() const { return mean_; }
  const data::Matrix& components() const { return components_; }
  const std::vector<double>& explained_variance() const { return explained_variance_; }
  double total_variance() const { return total_variance_; }
  // Sum of the explained variances over the total (1 when the total is 0).
  double explained_fraction() const;

  // Reads the fields written by write_fields (load_model's reader).
  // Malformed fields are io::FormatError.
  static std::unique_ptr<PcaModel> read_fields(io::ByteReader& r, std::size_t input_dim,
                                               std::size_t output_dim);

 private:
  PcaOptions options_;
  std::vector<float> mean_;
  data::Matrix components_;
  std::vector<double> explained_variance_;
  double total_variance_ = 0;
};

}  // namespace veil::reduce
