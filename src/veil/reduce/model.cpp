#include "veil/reduce/model.h"

#include <cmath>

namespace veil::reduce {

std::string to_string(ModelKind kind) {
  switch (kind) {
    case ModelKind::kPca:
      return "pca";
    case ModelKind::kDeepMds:
      return "deepmds";
  }
  return "unknown";
}

void normalize_rows(data::Matrix& m) {
  for (std::size_t i = 0; i < m.rows; ++i) {
    float* r = m.row(i);
    double norm = 0;
    for (std::size_t j = 0; j < m.cols; ++j) norm += static_cast<double>(r[j]) * r[j];
    if (norm == 0) continue;
    const float f = static_cast<float>(1.0 / std::sqrt(norm));
    for (std::size_t j = 0; j < m.cols; ++j) r[j] *= f;
  }
}

}  // namespace veil::reduce
