// Identity-structured synthetic embeddings for the DeepMDS++ tests, drawn
// from ring::Xof so that a seed fixes them.
//
// Each identity has a centre in an `intrinsic`-dimensional latent space
// (standard normal); a sample is centre + spread * N(0, I). A fixed random
// dim x intrinsic matrix lifts the latent vectors into `dim` dimensions, a
// little ambient noise (0.02 per coordinate) is added, and rows are
// L2-normalised, as face embeddings are.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "veil/data/matrix.h"
#include "veil/ring/xof.h"

namespace veil::reduce::testing {

inline double uniform01(ring::Xof& xof) {
  return (static_cast<double>(xof.next_u64() >> 11) + 0.5) * 0x1.0p-53;  // (0, 1)
}

inline double gaussian(ring::Xof& xof) {
  const double u = uniform01(xof), v = uniform01(xof);
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
}

struct LabelledSet {
  data::Matrix x;
  std::vector<std::int64_t> labels;
};

inline ring::Seed test_seed(std::uint8_t tag) {
  ring::Seed s{};
  s[0] = tag;
  s[1] = 0x5e;
  return s;
}

inline void normalise(float* r, std::size_t n) {
  double s = 0;
  for (std::size_t j = 0; j < n; ++j) s += double{r[j]} * r[j];
  const double f = s > 0 ? 1.0 / std::sqrt(s) : 0.0;
  for (std::size_t j = 0; j < n; ++j) r[j] = static_cast<float>(r[j] * f);
}

// `lift` seeds the shared lifting matrix, `draw` the identities and samples:
// two sets with the same lift and different draws are disjoint identities
// of the same distribution (a train and a held-out set).
inline LabelledSet identity_set(std::size_t identities, std::size_t per_identity, std::size_t dim,
                                std::size_t intrinsic, double spread, std::uint8_t lift,
                                std::uint8_t draw) {
  ring::Xof lx(test_seed(lift), 1);
  std::vector<double> a(dim * intrinsic);
  for (auto& v : a) v = gaussian(lx);
  ring::Xof dx(test_seed(draw), 2);
  LabelledSet set;
  set.x = {identities * per_identity, dim, std::vector<float>(identities * per_identity * dim)};
  std::vector<double> centre(intrinsic), z(intrinsic);
  for (std::size_t id = 0; id < identities; ++id) {
    for (auto& c : centre) c = gaussian(dx);
    for (std::size_t s = 0; s < per_identity; ++s) {
      for (std::size_t k = 0; k < intrinsic; ++k) z[k] = centre[k] + spread * gaussian(dx);
      float* row = set.x.row(id * per_identity + s);
      for (std::size_t j = 0; j < dim; ++j) {
        double v = 0.02 * gaussian(dx) * std::sqrt(static_cast<double>(intrinsic));
        for (std::size_t k = 0; k < intrinsic; ++k) v += a[j * intrinsic + k] * z[k];
        row[j] = static_cast<float>(v);
      }
      normalise(row, dim);
      set.labels.push_back(static_cast<std::int64_t>(1000 + draw * 100 + id));
    }
  }
  return set;
}

// Mean |cos(x_i, x_j) - cos(y_i, y_j)| over the genuine and over the
// impostor pairs i < j.
struct CosineError {
  double genuine = 0, impostor = 0;
};

inline double cosine(const float* a, const float* b, std::size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t j = 0; j < n; ++j) {
    ab += double{a[j]} * b[j];
    aa += double{a[j]} * a[j];
    bb += double{b[j]} * b[j];
  }
  return (aa > 0 && bb > 0) ? ab / std::sqrt(aa * bb) : 0.0;
}

inline CosineError cosine_error(const data::Matrix& x, const data::Matrix& y,
                                const std::vector<std::int64_t>& labels) {
  CosineError e;
  std::size_t ng = 0, ni = 0;
  for (std::size_t i = 0; i < x.rows; ++i) {
    for (std::size_t j = i + 1; j < x.rows; ++j) {
      const double d =
          std::abs(cosine(x.row(i), x.row(j), x.cols) - cosine(y.row(i), y.row(j), y.cols));
      if (labels[i] == labels[j]) {
        e.genuine += d;
        ++ng;
      } else {
        e.impostor += d;
        ++ni;
      }
    }
  }
  e.genuine /= static_cast<double>(ng);
  e.impostor /= static_cast<double>(ni);
  return e;
}

// x times a dim x out Gaussian matrix, rows normalised: the baseline a
// trained reduction must beat.
inline data::Matrix random_projection(const data::Matrix& x, std::size_t out, std::uint8_t tag) {
  ring::Xof xof(test_seed(tag), 3);
  std::vector<double> r(x.cols * out);
  for (auto& v : r) v = gaussian(xof);
  data::Matrix y{x.rows, out, std::vector<float>(x.rows * out)};
  for (std::size_t i = 0; i < x.rows; ++i) {
    for (std::size_t o = 0; o < out; ++o) {
      double v = 0;
      for (std::size_t j = 0; j < x.cols; ++j) v += double{x.row(i)[j]} * r[j * out + o];
      y.row(i)[o] = static_cast<float>(v);
    }
    normalise(y.row(i), out);
  }
  return y;
}

}  // namespace veil::reduce::testing
