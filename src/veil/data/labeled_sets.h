// The real labelled data sets of ../shared/datasets (see its README), one
// call each, given the datasets root directory.
//
// A missing file is a std::system_error (ENOENT) whose message names the set
// and the full path of the missing file; malformed files are io::FormatErrors
// from the underlying readers. Rows come in file order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "veil/data/matrix.h"

namespace veil::data {

struct LabeledSet {
  std::string name;  // e.g. "facenet-bollywood10", "mnist-t10k", "synthetic-identities"
  bool real = true;  // false for generated data
  Matrix x;
  std::vector<std::int64_t> labels;  // one per row of x; empty when the set has none
  std::string note;                  // provenance and caveats, for reports
  // label id -> name where the source names its classes (FaceNet), else empty.
  std::vector<std::string> class_names;
};

// An ANN query set: queries (with labels when the set has them) and the
// top-100 exact L2 neighbour ids into the base set, as shipped.
struct QuerySet {
  LabeledSet queries;
  IntMatrix ground_truth;
};

// faces/bollywood10_facenet512: 522 x 512 L2-normalised FaceNet embeddings,
// 10 identities. Labels from labels.npy (string or integer dtype), else
// labels.txt; string labels become ids 0..k-1 in sorted name order
// (class_names[id] is the name).
LabeledSet load_facenet(const std::filesystem::path& root);

enum class MnistSplit { kTest, kTrain };  // t10k (10,000) or train (60,000)

// mnist/{t10k,train}-{images-idx3,labels-idx1}-ubyte.gz: each 28x28 image a
// row of 784 floats in [0, 1] (pixel / 255), labels the digits.
LabeledSet load_mnist(const std::filesystem::path& root, MnistSplit split = MnistSplit::kTest,
                      std::uint64_t max_rows = kAllRows);

// ann/fmnistsmall_base.fvecs (1,000 Fashion-MNIST train images, 784 floats
// in 0..255 as shipped) with ann/fmnistsmall_base_labels.npy (classes 0-9).
LabeledSet load_fashion_mnist_small(const std::filesystem::path& root);
// The 500 test-image queries, their labels and the ground truth.
QuerySet load_fashion_mnist_small_queries(const std::filesystem::path& root);

// ann/bigann10k_base.bvecs: 10,000 x 128 SIFT vectors (uint8 as float), no
// labels (labels empty).
LabeledSet load_bigann10k(const std::filesystem::path& root);
// The 100 queries (base vectors 0-99, so self-matches are included) and the
// ground truth; no labels.
QuerySet load_bigann10k_queries(const std::filesystem::path& root);

}  // namespace veil::data
