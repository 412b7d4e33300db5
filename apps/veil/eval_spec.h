// `veil eval`: the names on its command line (data sets, reductions, modes,
// lists of numbers) parsed into values. Pure functions, unit-tested
// (tests/cli/test_eval_spec.cpp); unknown names are std::invalid_argument
// listing the valid ones.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace veil::apps::eval {

// kMnistCnn: MNIST digits through the CNN of reduce/torch/mnist_embedder.h
// (libtorch builds only).
enum class DatasetKind { kFacenet, kMnist, kMnistCnn, kFmnist, kGenerated };
enum class ReductionKind { kNone, kPca, kDeepMds };
enum class Mode { kPlaintext, kEncrypted, kTwoStage };

std::string to_string(DatasetKind k);    // "facenet", "mnist", "mnist-cnn", "fmnist", "generated"
std::string to_string(ReductionKind k);  // "none", "pca", "deepmds"
std::string to_string(Mode m);           // "plaintext", "encrypted", "two-stage"

struct Reduction {
  ReductionKind kind = ReductionKind::kNone;
  std::size_t dim = 0;       // 0 for none (the input dimension)
  std::string name() const;  // "none", "pca-16", "deepmds-32"
  bool operator==(const Reduction&) const = default;
};

// Comma-separated items, each trimmed; empty items are an error. Each
// element of `parts` may itself be a comma list (repeatable options).
std::vector<std::string> split_list(const std::vector<std::string>& parts);

DatasetKind parse_dataset(std::string_view name);
// "none", "pca-D", "deepmds-D" with 1 <= D <= 4096.
Reduction parse_reduction(std::string_view name);
Mode parse_mode(std::string_view name);
// Positive integers ("100,1000", "1e3" accepted).
std::vector<std::size_t> parse_counts(const std::vector<std::string>& parts, std::string_view what);

// The lists, duplicates dropped (first occurrence kept).
std::vector<DatasetKind> parse_datasets(const std::vector<std::string>& parts);
std::vector<Reduction> parse_reductions(const std::vector<std::string>& parts);
std::vector<Mode> parse_modes(const std::vector<std::string>& parts);

}  // namespace veil::apps::eval
