// Reads the shared real data sets (skips when they are absent).
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "datasets.h"
#include "veil/data/embeddings.h"
#include "veil/data/npy.h"
#include "veil/data/text.h"
#include "veil/data/vecs.h"

using namespace veil::data;
namespace fs = std::filesystem;

namespace {

fs::path need(const fs::path& rel) {
  auto dir = veil::test::datasets_dir();
  if (!dir) return {};
  fs::path p = *dir / rel;
  return fs::exists(p) ? p : fs::path{};
}

#define NEED(var, rel)      \
  fs::path var = need(rel); \
  if (var.empty()) GTEST_SKIP() << "data set file absent: " << rel

}  // namespace

TEST(RealData, FaceNetEmbeddingsAndLabels) {
  NEED(emb, "faces/bollywood10_facenet512/embeddings.npy");
  NEED(lab, "faces/bollywood10_facenet512/labels.npy");
  NEED(txt, "faces/bollywood10_facenet512/labels.txt");
  Matrix m = read_npy(emb);
  ASSERT_EQ(m.rows, 522u);
  ASSERT_EQ(m.cols, 512u);
  // L2-normalised rows.
  for (std::size_t r = 0; r < m.rows; ++r) {
    double n = 0;
    for (std::size_t c = 0; c < m.cols; ++c) n += double(m.row(r)[c]) * m.row(r)[c];
    EXPECT_NEAR(std::sqrt(n), 1.0, 1e-3) << "row " << r;
  }
  EXPECT_EQ(read_embeddings(emb).matrix.values, m.values);
  std::vector<std::string> names = read_labels_txt(txt);
  std::vector<std::string> npy_names = read_npy_strings(lab);
  ASSERT_EQ(names.size(), 522u);
  EXPECT_EQ(names, npy_names);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 10u);
}

TEST(RealData, BigAnnBvecs) {
  NEED(base, "ann/bigann10k_base.bvecs");
  NEED(gt, "ann/bigann10k_groundtruth.ivecs");
  Matrix m = read_bvecs(base);
  ASSERT_EQ(m.rows, 10000u);
  ASSERT_EQ(m.cols, 128u);
  Matrix head = read_bvecs(base, 100);
  EXPECT_EQ(head.rows, 100u);
  EXPECT_TRUE(std::equal(head.values.begin(), head.values.end(), m.values.begin()));
  IntMatrix g = read_ivecs(gt);
  ASSERT_EQ(g.rows, 100u);
  ASSERT_EQ(g.cols, 100u);
  // Queries are base vectors 0..99, so each query's nearest neighbour is itself.
  for (std::size_t q = 0; q < g.rows; ++q) {
    ASSERT_GE(g.row(q)[0], 0);
    ASSERT_LT(g.row(q)[0], 10000);
    double d = 0;
    for (std::size_t c = 0; c < 128; ++c) {
      double x = m.row(q)[c] - m.row(static_cast<std::size_t>(g.row(q)[0]))[c];
      d += x * x;
    }
    EXPECT_EQ(d, 0.0) << "query " << q;
  }
}

TEST(RealData, FashionMnistFvecs) {
  NEED(base, "ann/fmnistsmall_base.fvecs");
  NEED(labels, "ann/fmnistsmall_base_labels.npy");
  NEED(gt, "ann/fmnistsmall_groundtruth.ivecs");
  Matrix m = read_embeddings(base).matrix;
  ASSERT_EQ(m.rows, 1000u);
  ASSERT_EQ(m.cols, 784u);
  for (float v : m.values) ASSERT_TRUE(v >= 0 && v <= 255);
  std::vector<std::int64_t> l = read_npy_labels(labels);
  ASSERT_EQ(l.size(), 1000u);
  for (auto x : l) ASSERT_TRUE(x >= 0 && x <= 9);
  IntMatrix g = read_ivecs(gt);
  EXPECT_EQ(g.rows, 500u);
  EXPECT_EQ(g.cols, 100u);
}
