#include "veil/reduce/pca.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "veil/io/byte_io.h"
#include "veil/io/errors.h"
#include "veil/reduce/model_io.h"

namespace veil::reduce {

namespace {

constexpr std::uint8_t kFlagNormalizeInput = 1;
constexpr std::uint8_t kFlagCentred = 2;

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument("pca: " + what); }

bool all_finite(const std::vector<float>& v) {
  for (float x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

}  // namespace

PcaModel::PcaModel(PcaOptions options, std::vector<float> mean, data::Matrix components,
                   std::vector<double> explained_variance, double total_variance)
    : options_(options),
      mean_(std::move(mean)),
      components_(std::move(components)),
      explained_variance_(std::move(explained_variance)),
      total_variance_(total_variance) {
  const std::size_t d = components_.cols, k = components_.rows;
  if (k == 0 || d == 0 || k > d) {
    invalid("components are " + std::to_string(k) + " x " + std::to_string(d) +
            ", expected k x d with 1 <= k <= d");
  }
  if (components_.values.size() != k * d) {
    invalid("components hold " + std::to_string(components_.values.size()) + " values, expected " +
            std::to_string(k * d));
  }
  if (mean_.size() != d) {
    invalid("mean has " + std::to_string(mean_.size()) + " values, expected " + std::to_string(d));
  }
  if (explained_variance_.size() != k) {
    invalid("explained variance has " + std::to_string(explained_variance_.size()) +
            " values, expected " + std::to_string(k));
  }
  if (!all_finite(mean_)) invalid("mean is not finite");
  if (!all_finite(components_.values)) invalid("components are not finite");
  for (double v : explained_variance_) {
    if (!std::isfinite(v) || v < 0)
      invalid("explained variance " + std::to_string(v) + " < 0 or not finite");
  }
  if (!std::isfinite(total_variance_) || total_variance_ < 0) {
    invalid("total variance " + std::to_string(total_variance_) + " < 0 or not finite");
  }
  if (!options_.center) {
    for (float m : mean_)
      if (m != 0) invalid("model is not centred but its mean is not zero");
  }
}

data::Matrix PcaModel::project(const data::Matrix& x) const {
  const std::size_t d = input_dim(), k = output_dim();
  if (x.cols != d) {
    throw std::invalid_argument("pca: input has " + std::to_string(x.cols) + " columns, expected " +
                                std::to_string(d));
  }
  data::Matrix out{x.rows, k, std::vector<float>(x.rows * k)};
  std::vector<double> v(d);
  for (std::size_t i = 0; i < x.rows; ++i) {
    const float* row = x.row(i);
    double scale = 1;
    if (options_.normalize_input_rows) {
      double norm = 0;
      for (std::size_t j = 0; j < d; ++j) norm += static_cast<double>(row[j]) * row[j];
      if (norm > 0) scale = 1 / std::sqrt(norm);
    }
    for (std::size_t j = 0; j < d; ++j) v[j] = row[j] * scale - mean_[j];
    for (std::size_t c = 0; c < k; ++c) {
      const float* comp = components_.row(c);
      double s = 0;
      for (std::size_t j = 0; j < d; ++j) s += comp[j] * v[j];
      out.row(i)[c] = static_cast<float>(s);
    }
  }
  return out;
}

data::Matrix PcaModel::apply(const data::Matrix& x) const {
  data::Matrix out = project(x);
  normalize_rows(out);
  return out;
}

double PcaModel::explained_fraction() const {
  if (total_variance_ <= 0) return 1;
  double sum = 0;
  for (double v : explained_variance_) sum += v;
  return sum / total_variance_;
}

std::string PcaModel::describe() const {
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.1f", 100 * explained_fraction());
  return "pca " + detail::dims(input_dim(), output_dim()) + " (explains " + pct + "% of variance)";
}

void PcaModel::write_fields(std::vector<std::uint8_t>& out) const {
  std::uint8_t flags = 0;
  if (options_.normalize_input_rows) flags |= kFlagNormalizeInput;
  if (options_.center) flags |= kFlagCentred;
  out.push_back(flags);
  detail::put_f64(out, total_variance_);
  for (double v : explained_variance_) detail::put_f64(out, v);
  detail::put_f32_array(out, mean_);
  detail::put_f32_array(out, components_.values);
}

std::unique_ptr<PcaModel> PcaModel::read_fields(io::ByteReader& r, std::size_t input_dim,
                                                std::size_t output_dim) {
  if (output_dim > input_dim) {
    throw io::FormatError("pca output_dim " + std::to_string(output_dim) + " exceeds input_dim " +
                          std::to_string(input_dim));
  }
  const std::uint8_t flags = r.get_u8("pca flags");
  if (flags & ~(kFlagNormalizeInput | kFlagCentred)) {
    throw io::FormatError("pca flags " + std::to_string(flags) +
                          ": unknown bits set (expected 0-3)");
  }
  PcaOptions options{.center = (flags & kFlagCentred) != 0,
                     .normalize_input_rows = (flags & kFlagNormalizeInput) != 0};
  const double total = detail::get_finite_f64(r, "pca total variance");
  // k f64 values must be present before they are allocated.
  if (r.remaining() / 8 < output_dim) {
    throw io::FormatError("truncated: needed " + std::to_string(8 * output_dim) +
                          " bytes for 'pca explained variance', " + std::to_string(r.remaining()) +
                          " left");
  }
  std::vector<double> variance(output_dim);
  for (std::size_t c = 0; c < output_dim; ++c) {
    variance[c] = detail::get_finite_f64(r, "pca explained variance[" + std::to_string(c) + "]");
  }
  std::vector<float> mean = detail::get_f32_array(r, "pca mean", input_dim);
  data::Matrix components{output_dim, input_dim, {}};
  components.values = detail::get_f32_array(
      r, "pca components", io::checked_mul(output_dim, input_dim, "pca components"));
  try {
    return std::make_unique<PcaModel>(options, std::move(mean), std::move(components),
                                      std::move(variance), total);
  } catch (const std::invalid_argument& e) {
    throw io::FormatError(e.what());
  }
}

}  // namespace veil::reduce
