// The real labelled sets (skipped when the shared data sets are absent), the
// missing-file error, and the gallery/probe split.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "data_test_util.h"
#include "datasets.h"
#include "expect_error.h"
#include "veil/data/gallery_probe.h"
#include "veil/data/labeled_sets.h"
#include "veil/data/npy.h"
#include "veil/io/errors.h"

using namespace veil::data;
namespace fs = std::filesystem;

namespace {

fs::path root_or_skip() {
  auto r = veil::test::datasets_dir();
  return r ? *r : fs::path{};
}

#define NEED_ROOT(var)           \
  fs::path var = root_or_skip(); \
  if (var.empty()) GTEST_SKIP() << "shared data sets absent"

std::size_t distinct(const std::vector<std::int64_t>& v) {
  return std::set<std::int64_t>(v.begin(), v.end()).size();
}

}  // namespace

TEST(LabeledSets, FaceNet) {
  NEED_ROOT(root);
  LabeledSet s = load_facenet(root);
  EXPECT_TRUE(s.real);
  ASSERT_EQ(s.x.rows, 522u);
  ASSERT_EQ(s.x.cols, 512u);
  ASSERT_EQ(s.labels.size(), 522u);
  EXPECT_EQ(distinct(s.labels), 10u);
  ASSERT_EQ(s.class_names.size(), 10u);
  EXPECT_TRUE(std::is_sorted(s.class_names.begin(), s.class_names.end()));
  // Ids are sorted-name order: the name of row 0's id is row 0's string label.
  std::vector<std::string> names =
      read_npy_strings(root / "faces/bollywood10_facenet512/labels.npy");
  for (std::size_t r = 0; r < s.x.rows; ++r) {
    ASSERT_EQ(s.class_names[static_cast<std::size_t>(s.labels[r])], names[r]) << "row " << r;
  }
  EXPECT_FALSE(s.note.empty());
}

TEST(LabeledSets, MnistTestAndTrainPrefix) {
  NEED_ROOT(root);
  LabeledSet t = load_mnist(root, MnistSplit::kTest);
  ASSERT_EQ(t.x.rows, 10000u);
  ASSERT_EQ(t.x.cols, 784u);
  EXPECT_EQ(t.labels[0], 7);
  float lo = 1, hi = 0;
  for (float v : t.x.values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
  LabeledSet tr = load_mnist(root, MnistSplit::kTrain, 100);
  ASSERT_EQ(tr.x.rows, 100u);
  EXPECT_EQ(tr.labels[0], 5);  // the first training digit is a 5
  EXPECT_EQ(tr.name, "mnist-train");
}

TEST(LabeledSets, FashionMnistSmall) {
  NEED_ROOT(root);
  LabeledSet b = load_fashion_mnist_small(root);
  ASSERT_EQ(b.x.rows, 1000u);
  ASSERT_EQ(b.x.cols, 784u);
  ASSERT_EQ(b.labels.size(), 1000u);
  EXPECT_EQ(distinct(b.labels), 10u);
  QuerySet q = load_fashion_mnist_small_queries(root);
  EXPECT_EQ(q.queries.x.rows, 500u);
  EXPECT_EQ(q.queries.labels.size(), 500u);
  EXPECT_EQ(q.ground_truth.rows, 500u);
  EXPECT_EQ(q.ground_truth.cols, 100u);
}

TEST(LabeledSets, Bigann10k) {
  NEED_ROOT(root);
  LabeledSet b = load_bigann10k(root);
  EXPECT_EQ(b.x.rows, 10000u);
  EXPECT_EQ(b.x.cols, 128u);
  EXPECT_TRUE(b.labels.empty());
  QuerySet q = load_bigann10k_queries(root);
  ASSERT_EQ(q.queries.x.rows, 100u);
  EXPECT_TRUE(q.queries.labels.empty());
  ASSERT_EQ(q.ground_truth.rows, 100u);
  // Queries are base rows 0..99, each its own nearest neighbour.
  for (std::size_t r = 0; r < 100; ++r) {
    ASSERT_TRUE(std::equal(q.queries.x.row(r), q.queries.x.row(r) + 128, b.x.row(r)));
  }
}

class MissingSets : public veil::test::TempDirTest {};

TEST_F(MissingSets, ErrorNamesTheSetAndTheFile) {
  veil::test::expect_error<std::system_error>(
      [&] { load_facenet(dir_); },
      {"FaceNet bollywood10", "faces/bollywood10_facenet512/embeddings.npy", "is missing"});
  veil::test::expect_error<std::system_error>([&] { load_mnist(dir_, MnistSplit::kTrain); },
                                              {"MNIST train", "train-images-idx3-ubyte.gz"});
  veil::test::expect_error<std::system_error>([&] { load_bigann10k_queries(dir_); },
                                              {"bigann10k_query.bvecs"});
  // Embeddings present, neither label file.
  fs::create_directories(dir_ / "faces/bollywood10_facenet512");
  Matrix m{2, 3, {1, 0, 0, 0, 1, 0}};
  write_npy(dir_ / "faces/bollywood10_facenet512/embeddings.npy", m);
  veil::test::expect_error<std::system_error>([&] { load_facenet(dir_); },
                                              {"labels.txt", "labels.npy is absent too"});
  // labels.txt alone is enough; names map to sorted ids.
  write_text("faces/bollywood10_facenet512/labels.txt", "zed\namy\n");
  LabeledSet s = load_facenet(dir_);
  EXPECT_EQ(s.labels, (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(s.class_names, (std::vector<std::string>{"amy", "zed"}));
  write_text("faces/bollywood10_facenet512/labels.txt", "a\n");
  veil::test::expect_error<veil::io::FormatError>([&] { load_facenet(dir_); },
                                                  {"1 labels, expected one per row: 2"});
}

TEST(GalleryProbeSplit, FirstRowsToGalleryNextToProbes) {
  LabeledSet s;
  s.name = "t";
  s.x = Matrix{7, 1, {0, 1, 2, 3, 4, 5, 6}};
  s.labels = {5, 6, 5, 5, 7, 6, 5};
  GalleryProbe one = split_gallery_probe(s, 1);
  EXPECT_EQ(one.gallery.x.values, (std::vector<float>{0, 1, 4}));
  EXPECT_EQ(one.gallery.labels, (std::vector<std::int64_t>{5, 6, 7}));
  EXPECT_EQ(one.probes.x.values, (std::vector<float>{2, 5}));  // label 7 has no probe
  EXPECT_EQ(one.probes.labels, (std::vector<std::int64_t>{5, 6}));
  EXPECT_EQ(one.gallery.name, "t/gallery");
  GalleryProbe two = split_gallery_probe(s, 2);
  EXPECT_EQ(two.gallery.x.values, (std::vector<float>{0, 1, 2, 4, 5}));
  EXPECT_EQ(two.probes.x.values, (std::vector<float>{3}));
  EXPECT_THROW(split_gallery_probe(s, 0), std::invalid_argument);
  s.labels.pop_back();
  EXPECT_THROW(split_gallery_probe(s, 1), std::invalid_argument);
}
