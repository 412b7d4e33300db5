// The MNIST embedding CNN: argument checks on made-up images, and on the
// shared MNIST files (skipped when absent) that a short training gives
// embeddings in which digits cluster.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "datasets.h"
#include "reduce/torch/synthetic.h"
#include "veil/data/mnist.h"
#include "veil/reduce/torch/mnist_embedder.h"

namespace veil::reduce {
namespace {

data::ImageSet noise_images(std::size_t count, std::size_t side) {
  ring::Xof xof(testing::test_seed(20), 4);
  data::ImageSet s{count, side, side, std::vector<std::uint8_t>(count * side * side),
                   std::vector<std::uint8_t>(count)};
  xof.fill(s.pixels.data(), s.pixels.size());
  for (std::size_t i = 0; i < count; ++i) s.labels[i] = static_cast<std::uint8_t>(i % 10);
  return s;
}

TEST(MnistEmbedder, EmbedsUnitRowsAndRefusesBadInput) {
  MnistEmbedderOptions o;
  o.embedding_dim = 16;
  o.batch_size = 8;
  o.threads = 1;
  const auto images = noise_images(20, 28);
  const auto emb = train_mnist_embedder(images, o);
  EXPECT_EQ(emb.embedding_dim(), 16u);
  const auto e = emb.embed(images);
  ASSERT_EQ(e.rows, 20u);
  ASSERT_EQ(e.cols, 16u);
  for (std::size_t i = 0; i < e.rows; ++i) {
    double n = 0;
    for (std::size_t j = 0; j < e.cols; ++j) n += double{e.row(i)[j]} * e.row(i)[j];
    EXPECT_NEAR(n, 1.0, 1e-5);
  }
  const auto set = emb.embed_labeled(images, "noise");
  EXPECT_EQ(set.labels.size(), 20u);
  EXPECT_EQ(set.labels[13], 3);

  EXPECT_THROW(emb.embed(noise_images(3, 27)), std::invalid_argument);
  EXPECT_THROW(train_mnist_embedder(noise_images(3, 27), o), std::invalid_argument);
  auto bad_label = images;
  bad_label.labels[4] = 10;
  EXPECT_THROW(train_mnist_embedder(bad_label, o), std::invalid_argument);
  auto bad = o;
  bad.batch_size = 0;
  EXPECT_THROW(train_mnist_embedder(images, bad), std::invalid_argument);
  bad = o;
  bad.margin = 1.0;
  EXPECT_THROW(train_mnist_embedder(images, bad), std::invalid_argument);
}

// Nearest class centroid (centroids from `ref`) accuracy on `x`.
double centroid_accuracy(const data::Matrix& ref, const std::vector<std::uint8_t>& ref_labels,
                         const data::Matrix& x, const std::vector<std::uint8_t>& labels) {
  std::vector<double> c(10 * ref.cols, 0.0);
  for (std::size_t i = 0; i < ref.rows; ++i) {
    for (std::size_t j = 0; j < ref.cols; ++j) c[ref_labels[i] * ref.cols + j] += ref.row(i)[j];
  }
  std::size_t right = 0;
  for (std::size_t i = 0; i < x.rows; ++i) {
    int best = -1;
    double best_cos = -2;
    for (int k = 0; k < 10; ++k) {
      std::vector<float> ck(c.begin() + k * ref.cols, c.begin() + (k + 1) * ref.cols);
      const double cs = testing::cosine(x.row(i), ck.data(), x.cols);
      if (cs > best_cos) {
        best_cos = cs;
        best = k;
      }
    }
    right += best == labels[i];
  }
  return static_cast<double>(right) / static_cast<double>(x.rows);
}

TEST(MnistEmbedder, ShortTrainingClustersDigits) {
  const auto dir = veil::test::datasets_dir();
  const auto m = dir ? *dir / "mnist" : std::filesystem::path{};
  if (!dir || !std::filesystem::exists(m / "train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "shared MNIST files not present";
  }
  // VEIL_MNIST_FULL=1: all 60,000 training images (about a minute;
  // prints the figures README.md quotes). Default: the first 6,000.
  const bool full = std::getenv("VEIL_MNIST_FULL") != nullptr;
  const auto train =
      data::read_mnist(m / "train-images-idx3-ubyte.gz", m / "train-labels-idx1-ubyte.gz",
                       full ? data::kAllRows : 6000);
  const auto test = data::read_mnist(m / "t10k-images-idx3-ubyte.gz",
                                     m / "t10k-labels-idx1-ubyte.gz", full ? data::kAllRows : 1000);
  MnistEmbedderOptions o;
  o.batch_size = full ? 128 : 64;
  o.threads = 1;
  const auto start = std::chrono::steady_clock::now();
  MnistEmbedderProgress last;
  const auto emb = train_mnist_embedder(train, o, [&](const auto& p) { last = p; });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto train_e = emb.embed(train);
  const auto test_e = emb.embed(test);
  const double acc = centroid_accuracy(train_e, train.labels, test_e, test.labels);
  // Mean cosine of same-digit and of different-digit pairs (first 1,000 test rows).
  const std::size_t n = std::min<std::size_t>(test.count, 1000);
  double same = 0, other = 0;
  std::size_t n_same = 0, n_other = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const double c = testing::cosine(test_e.row(i), test_e.row(j), test_e.cols);
      (test.labels[i] == test.labels[j] ? same : other) += c;
      ++(test.labels[i] == test.labels[j] ? n_same : n_other);
    }
  }
  same /= static_cast<double>(n_same);
  other /= static_cast<double>(n_other);
  std::printf(
      "MNIST embedder: %zu train images, 1 epoch in %.1f s (%d threads), final train loss "
      "%.3f, train accuracy %.3f; t10k[%zu] nearest-centroid accuracy %.4f, mean cosine "
      "same digit %.3f, other digits %.3f\n",
      train.count, seconds, o.threads, last.loss, last.accuracy, test.count, acc, same, other);
  EXPECT_GT(acc, 0.9);
  EXPECT_GT(same, other + 0.3);
}

}  // namespace
}  // namespace veil::reduce
