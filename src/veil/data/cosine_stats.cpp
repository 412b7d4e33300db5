#include "veil/data/cosine_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "veil/data/dot.h"
#include "veil/data/labeled_sets.h"

namespace veil::data {

CosineStats cosine_stats(const Matrix& x, const std::vector<std::int64_t>& labels,
                         std::size_t max_rows) {
  if (labels.size() != x.rows) {
    throw std::invalid_argument("cosine_stats: " + std::to_string(labels.size()) +
                                " labels, expected one per row: " + std::to_string(x.rows));
  }
  if (x.rows > max_rows) {
    throw std::invalid_argument("cosine_stats: " + std::to_string(x.rows) +
                                " rows, more than the limit of " + std::to_string(max_rows) +
                                " (all pairs are scored: use a subset)");
  }
  std::vector<double> inv(x.rows);
  for (std::size_t i = 0; i < x.rows; ++i) {
    double n = std::sqrt(dot(x.row(i), x.row(i), x.cols));
    if (n == 0) throw std::invalid_argument("cosine_stats: row " + std::to_string(i) + " is zero");
    inv[i] = 1.0 / n;
  }
  // Sums in double; the sums of squares are of values in [-1, 1], so the
  // E[x^2] - E[x]^2 form loses nothing that matters at these sizes.
  double gs = 0, gss = 0, is = 0, iss = 0;
  std::uint64_t gn = 0, in = 0;
  for (std::size_t i = 0; i < x.rows; ++i) {
    for (std::size_t j = i + 1; j < x.rows; ++j) {
      double c = dot(x.row(i), x.row(j), x.cols) * inv[i] * inv[j];
      if (labels[i] == labels[j]) {
        gs += c;
        gss += c * c;
        ++gn;
      } else {
        is += c;
        iss += c * c;
        ++in;
      }
    }
  }
  CosineStats s;
  s.genuine_pairs = gn;
  s.impostor_pairs = in;
  if (gn > 0) {
    s.genuine_mean = gs / gn;
    s.genuine_std = std::sqrt(std::max(0.0, gss / gn - s.genuine_mean * s.genuine_mean));
  }
  if (in > 0) {
    s.impostor_mean = is / in;
    s.impostor_std = std::sqrt(std::max(0.0, iss / in - s.impostor_mean * s.impostor_mean));
  }
  return s;
}

CosineStats cosine_stats(const LabeledSet& set, std::size_t max_rows) {
  return cosine_stats(set.x, set.labels, max_rows);
}

std::string to_string(const CosineStats& s) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "genuine %.4f +- %.4f (%llu pairs), impostor %.4f +- %.4f (%llu pairs)",
                s.genuine_mean, s.genuine_std, static_cast<unsigned long long>(s.genuine_pairs),
                s.impostor_mean, s.impostor_std, static_cast<unsigned long long>(s.impostor_pairs));
  return buf;
}

}  // namespace veil::data
