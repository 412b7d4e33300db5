#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "reduce/reduce_test_util.h"
#include "veil/reduce/pca.h"

namespace veil::reduce {
namespace {

using test::TestRandom;

// Data whose sample covariance is exactly axes * diag(variance) * axes^T
// (up to float rounding): orthonormal, zero-mean sample directions scaled by
// sqrt((n - 1) * variance), rotated onto random orthonormal axes, plus a mean.
struct KnownData {
  data::Matrix x;
  Eigen::MatrixXd axes;  // d x d, column c is principal axis c
  std::vector<double> variance;
  Eigen::VectorXd mean;
};

KnownData known_data(std::size_t n, std::vector<double> variance, std::uint8_t tag) {
  const auto d = static_cast<Eigen::Index>(variance.size());
  const auto rows = static_cast<Eigen::Index>(n);
  TestRandom rng(tag);
  auto gaussian = [&](Eigen::Index r, Eigen::Index c) {
    Eigen::MatrixXd m(r, c);
    for (Eigen::Index i = 0; i < r; ++i)
      for (Eigen::Index j = 0; j < c; ++j) m(i, j) = rng.gaussian();
    return m;
  };
  KnownData k;
  k.variance = variance;
  k.axes = Eigen::HouseholderQR<Eigen::MatrixXd>(gaussian(d, d)).householderQ();
  Eigen::MatrixXd z = gaussian(rows, d);
  z.rowwise() -= z.colwise().mean();
  // Columns of Q span the centred columns of z, so they stay zero-mean.
  Eigen::MatrixXd q =
      Eigen::HouseholderQR<Eigen::MatrixXd>(z).householderQ() * Eigen::MatrixXd::Identity(rows, d);
  Eigen::VectorXd s(d);
  for (Eigen::Index c = 0; c < d; ++c)
    s[c] = std::sqrt(static_cast<double>(n - 1) * variance[static_cast<std::size_t>(c)]);
  k.mean = 0.5 * gaussian(d, 1);
  Eigen::MatrixXd x = q * s.asDiagonal() * k.axes.transpose();
  x.rowwise() += k.mean.transpose();
  k.x = data::Matrix{n, variance.size(), std::vector<float>(n * variance.size())};
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < d; ++j)
      k.x.row(static_cast<std::size_t>(i))[j] = static_cast<float>(x(i, j));
  return k;
}

const std::vector<double> kVariances = {9, 6, 4, 2.5, 1.5, 1, 0.6, 0.35, 0.2, 0.1, 0.05, 0.02};
constexpr PcaOptions kRaw{.center = true, .normalize_input_rows = false};

// Component c of `model` equals `axis` up to sign, within tol per entry.
void expect_axis(const PcaModel& model, std::size_t c, const Eigen::VectorXd& axis, double tol) {
  const float* comp = model.components().row(c);
  double dot = 0;
  for (Eigen::Index j = 0; j < axis.size(); ++j) dot += comp[j] * axis[j];
  const double sign = dot < 0 ? -1 : 1;
  for (Eigen::Index j = 0; j < axis.size(); ++j)
    EXPECT_NEAR(comp[j], sign * axis[j], tol) << "component " << c << ", entry " << j;
}

TEST(Pca, FindsKnownAxesAndVariances) {
  const KnownData k = known_data(300, kVariances, 1);
  const PcaModel m = PcaModel::fit(k.x, 5, kRaw);
  ASSERT_EQ(m.input_dim(), 12u);
  ASSERT_EQ(m.output_dim(), 5u);
  for (std::size_t c = 0; c < 5; ++c) {
    expect_axis(m, c, k.axes.col(static_cast<Eigen::Index>(c)), 1e-4);
    EXPECT_NEAR(m.explained_variance()[c], kVariances[c], 1e-4 * kVariances[c]) << c;
  }
  double total = 0;
  for (double v : kVariances) total += v;
  EXPECT_NEAR(m.total_variance(), total, 1e-4 * total);
  for (std::size_t j = 0; j < 12; ++j)
    EXPECT_NEAR(m.mean()[j], k.mean[static_cast<Eigen::Index>(j)], 1e-5);
}

TEST(Pca, ComponentsAreOrthonormalSortedAndSignFixed) {
  const KnownData k = known_data(300, kVariances, 2);
  const PcaModel m = PcaModel::fit(k.x, 8, kRaw);
  for (std::size_t a = 0; a < 8; ++a) {
    for (std::size_t b = 0; b < 8; ++b) {
      double dot = 0;
      for (std::size_t j = 0; j < 12; ++j)
        dot += static_cast<double>(m.components().row(a)[j]) * m.components().row(b)[j];
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-6) << a << "," << b;
    }
    if (a > 0) {
      EXPECT_GT(m.explained_variance()[a - 1], m.explained_variance()[a]);
    }
    // The largest-magnitude entry is positive.
    const float* c = m.components().row(a);
    std::size_t best = 0;
    for (std::size_t j = 1; j < 12; ++j)
      if (std::abs(c[j]) > std::abs(c[best])) best = j;
    EXPECT_GT(c[best], 0) << "component " << a;
  }
  // A second fit is the same model, value for value.
  const PcaModel again = PcaModel::fit(k.x, 8, kRaw);
  EXPECT_EQ(again.components().values, m.components().values);
  EXPECT_EQ(again.mean(), m.mean());
}

// Reference: JacobiSVD of the centred matrix of L2-normalised rows.
TEST(Pca, MatchesSvdOfCentredNormalisedData) {
  data::Matrix x = test::gaussian_matrix(80, 10, 3);
  for (std::size_t i = 0; i < x.rows; ++i)
    for (std::size_t j = 0; j < x.cols; ++j) x.row(i)[j] *= static_cast<float>(j + 1);
  const PcaModel m = PcaModel::fit(x, 6);  // defaults: centre, normalise rows
  ASSERT_TRUE(m.options().center);
  ASSERT_TRUE(m.options().normalize_input_rows);

  Eigen::MatrixXd a(80, 10);
  for (std::size_t i = 0; i < 80; ++i) {
    double norm = 0;
    for (std::size_t j = 0; j < 10; ++j) norm += static_cast<double>(x.row(i)[j]) * x.row(i)[j];
    for (std::size_t j = 0; j < 10; ++j)
      a(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = x.row(i)[j] / std::sqrt(norm);
  }
  const Eigen::VectorXd mean = a.colwise().mean().transpose();
  a.rowwise() -= mean.transpose();
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(a, Eigen::ComputeThinV);
  for (std::size_t c = 0; c < 6; ++c) {
    const auto ci = static_cast<Eigen::Index>(c);
    expect_axis(m, c, svd.matrixV().col(ci), 1e-4);
    const double var = svd.singularValues()[ci] * svd.singularValues()[ci] / 79;
    EXPECT_NEAR(m.explained_variance()[c], var, 1e-4 * var) << c;
  }
  for (std::size_t j = 0; j < 10; ++j)
    EXPECT_NEAR(m.mean()[j], mean[static_cast<Eigen::Index>(j)], 1e-6);
  EXPECT_NEAR(m.total_variance(), a.squaredNorm() / 79, 1e-6 * m.total_variance());
}

TEST(Pca, ProjectionReconstructsWithTheDroppedVariance) {
  const KnownData k = known_data(300, kVariances, 4);
  const std::size_t keep = 5;
  const PcaModel m = PcaModel::fit(k.x, keep, kRaw);
  const data::Matrix y = m.project(k.x);
  ASSERT_EQ(y.rows, 300u);
  ASSERT_EQ(y.cols, keep);
  double residual = 0;
  std::vector<double> coord_var(keep, 0);
  for (std::size_t i = 0; i < 300; ++i) {
    for (std::size_t j = 0; j < 12; ++j) {
      double rec = m.mean()[j];
      for (std::size_t c = 0; c < keep; ++c)
        rec += static_cast<double>(y.row(i)[c]) * m.components().row(c)[j];
      const double e = k.x.row(i)[j] - rec;
      residual += e * e;
    }
    for (std::size_t c = 0; c < keep; ++c)
      coord_var[c] += static_cast<double>(y.row(i)[c]) * y.row(i)[c] / 299;
  }
  double dropped = 0;
  for (std::size_t c = keep; c < kVariances.size(); ++c) dropped += kVariances[c];
  EXPECT_NEAR(residual, 299 * dropped, 1e-3 * 299 * dropped);
  for (std::size_t c = 0; c < keep; ++c)
    EXPECT_NEAR(coord_var[c], kVariances[c], 1e-4 * kVariances[c]);
  // Keeping every component reconstructs exactly (up to float rounding).
  const PcaModel full = PcaModel::fit(k.x, 12, kRaw);
  EXPECT_NEAR(full.explained_fraction(), 1.0, 1e-9);
}

TEST(Pca, ApplyOnAHandMadeModel) {
  const data::Matrix comps{2, 3, {1, 0, 0, 0, 1, 0}};
  const PcaModel raw({.center = true, .normalize_input_rows = false}, {1, 1, 1}, comps, {3, 1}, 5);
  data::Matrix y = raw.apply(data::Matrix{2, 3, {4, 5, 9, 1, 1, 7}});
  // (4,5,9) - (1,1,1) -> (3,4) -> (0.6, 0.8); (1,1,7) - mean projects to 0 and stays 0.
  EXPECT_FLOAT_EQ(y.values[0], 0.6f);
  EXPECT_FLOAT_EQ(y.values[1], 0.8f);
  EXPECT_EQ(y.values[2], 0.0f);
  EXPECT_EQ(y.values[3], 0.0f);
  EXPECT_EQ(raw.describe(), "pca 3->2 (explains 80.0% of variance)");

  const PcaModel norm({.center = true, .normalize_input_rows = true}, {1, 1, 1}, comps, {3, 1}, 5);
  // (0,3,4) -> (0,0.6,0.8) - mean -> (-1,-0.4) -> normalised.
  y = norm.project(data::Matrix{1, 3, {0, 3, 4}});
  EXPECT_NEAR(y.values[0], -1.0, 1e-6);
  EXPECT_NEAR(y.values[1], -0.4, 1e-6);
  y = norm.apply(data::Matrix{1, 3, {0, 3, 4}});
  EXPECT_NEAR(y.values[0], -1 / std::sqrt(1.16), 1e-6);
  EXPECT_NEAR(y.values[1], -0.4 / std::sqrt(1.16), 1e-6);
}

TEST(Pca, ApplyGivesUnitRows) {
  const KnownData k = known_data(300, kVariances, 5);
  const PcaModel m = PcaModel::fit(k.x, 4);
  const data::Matrix y = m.apply(k.x);
  for (std::size_t i = 0; i < y.rows; ++i) {
    double n = 0;
    for (std::size_t c = 0; c < y.cols; ++c) n += static_cast<double>(y.row(i)[c]) * y.row(i)[c];
    EXPECT_NEAR(n, 1.0, 1e-6) << i;
  }
  EXPECT_NE(m.describe().find("pca 12->4 (explains "), std::string::npos) << m.describe();
}

TEST(Pca, UncentredFitHasZeroMean) {
  const KnownData k = known_data(50, {3, 2, 1}, 6);
  const PcaModel m = PcaModel::fit(k.x, 2, {.center = false, .normalize_input_rows = false});
  EXPECT_FALSE(m.options().center);
  EXPECT_EQ(m.mean(), std::vector<float>(3, 0.0f));
}

template <class F>
std::string invalid_message(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no std::invalid_argument)";
}

TEST(Pca, FitRefusesBadArguments) {
  const data::Matrix one{1, 3, {1, 2, 3}};
  EXPECT_EQ(invalid_message([&] { PcaModel::fit(one, 1); }),
            "pca fit: needs at least 2 rows, got 1");
  const data::Matrix two{2, 3, {1, 2, 3, 4, 5, 6}};
  EXPECT_EQ(invalid_message([&] { PcaModel::fit(two, 0); }),
            "pca fit: output_dim 0, expected 1 to 3 (the input dimension)");
  EXPECT_EQ(invalid_message([&] { PcaModel::fit(two, 4); }),
            "pca fit: output_dim 4, expected 1 to 3 (the input dimension)");
  data::Matrix nan = two;
  nan.values[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(invalid_message([&] { PcaModel::fit(nan, 1); }),
            "pca fit: value at row 1, column 2 is not finite");
  const PcaModel m = PcaModel::fit(two, 1);
  EXPECT_EQ(invalid_message([&] {
              m.apply(data::Matrix{1, 2, {1, 2}});
            }),
            "pca: input has 2 columns, expected 3");
}

TEST(Pca, ConstructorRefusesInconsistentParts) {
  const data::Matrix comps{2, 3, {1, 0, 0, 0, 1, 0}};
  EXPECT_EQ(invalid_message([&] {
              PcaModel({}, {0, 0}, comps, {1, 1}, 2);
            }),
            "pca: mean has 2 values, expected 3");
  EXPECT_EQ(invalid_message([&] {
              PcaModel({}, {0, 0, 0}, comps, {1}, 2);
            }),
            "pca: explained variance has 1 values, expected 2");
  EXPECT_EQ(invalid_message([&] {
              PcaModel({}, {0, 0, 0}, data::Matrix{4, 3, std::vector<float>(12)}, {1, 1, 1, 1}, 4);
            }),
            "pca: components are 4 x 3, expected k x d with 1 <= k <= d");
  EXPECT_EQ(
      invalid_message([&] {
        PcaModel({.center = false, .normalize_input_rows = true}, {0, 1, 0}, comps, {1, 1}, 2);
      }),
      "pca: model is not centred but its mean is not zero");
  data::Matrix inf = comps;
  inf.values[1] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(invalid_message([&] {
              PcaModel({}, {0, 0, 0}, inf, {1, 1}, 2);
            }),
            "pca: components are not finite");
}

}  // namespace
}  // namespace veil::reduce
