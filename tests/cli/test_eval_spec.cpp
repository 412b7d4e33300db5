// The name parsing of `veil eval` (apps/veil/eval_spec.h).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "eval_spec.h"

namespace veil::apps::eval {
namespace {

std::string error_of(void (*f)()) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(EvalSpec, Reductions) {
  EXPECT_EQ(parse_reduction("none"), (Reduction{ReductionKind::kNone, 0}));
  EXPECT_EQ(parse_reduction("pca-16"), (Reduction{ReductionKind::kPca, 16}));
  EXPECT_EQ(parse_reduction("deepmds-128"), (Reduction{ReductionKind::kDeepMds, 128}));
  EXPECT_EQ(parse_reduction("pca-16").name(), "pca-16");
  EXPECT_EQ(parse_reduction("none").name(), "none");
  for (const char* bad : {"pca", "pca-", "pca-0", "pca-x", "pca-16x", "pca--1", "pca-5000",
                          "PCA-16", "pca16", "lda-8", ""}) {
    EXPECT_THROW(parse_reduction(bad), std::invalid_argument) << bad;
  }
  EXPECT_NE(error_of([] { parse_reduction("pca16"); }).find("valid: none, pca-D"),
            std::string::npos);
}

TEST(EvalSpec, Lists) {
  const auto r = parse_reductions({"none, pca-16", "pca-32,pca-16"});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[2], (Reduction{ReductionKind::kPca, 32}));
  EXPECT_THROW(parse_reductions({"none,,pca-16"}), std::invalid_argument);
  const auto d = parse_datasets({"facenet,generated", "mnist,mnist-cnn", "mnist-cnn"});
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[1], DatasetKind::kGenerated);
  EXPECT_EQ(d[3], DatasetKind::kMnistCnn);
  EXPECT_EQ(to_string(DatasetKind::kMnistCnn), "mnist-cnn");
  EXPECT_THROW(parse_datasets({"mnist_cnn"}), std::invalid_argument);
  EXPECT_NE(error_of([] {
              parse_datasets({"faces"});
            }).find("facenet, mnist, mnist-cnn, fmnist, generated"),
            std::string::npos);
  const auto m = parse_modes({"plaintext,two-stage"});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1], Mode::kTwoStage);
  EXPECT_THROW(parse_modes({"fast"}), std::invalid_argument);
}

TEST(EvalSpec, Counts) {
  EXPECT_EQ(parse_counts({"100,1000", "1e3"}, "--K"), (std::vector<std::size_t>{100, 1000}));
  for (const char* bad : {"0", "-5", "1.5", "x", "10x"}) {
    EXPECT_THROW(parse_counts({bad}, "--K"), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace veil::apps::eval
