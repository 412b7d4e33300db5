// `veil eval`: accuracy and speed of dimensionality reductions and search
// modes (plaintext, encrypted single stage, two stage) on real and generated
// data sets. run_eval measures and returns everything as JSON; eval_report.h
// writes the report folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "eval_spec.h"

namespace veil::apps::eval {

struct EvalOptions {
  std::vector<DatasetKind> datasets{DatasetKind::kFacenet};
  std::filesystem::path datasets_dir = "../shared/datasets";
  std::vector<Reduction> reductions;
  std::vector<Mode> modes{Mode::kPlaintext};
  std::vector<std::size_t> candidates{100, 1000};  // two-stage K
  std::optional<std::filesystem::path> deepmds_model;
  std::size_t generated_identities = 20000;
  std::size_t mnist_cnn_images = 50000;  // mnist-cnn: CNN training images (1..50,000)
  std::size_t mnist_cnn_epochs = 2;
  std::size_t max_probes = 500;
  std::size_t threads = 0;
  std::uint64_t seed = 20261121;
};

// The input dimension of a data set (known before loading it).
std::size_t input_dim(DatasetKind kind);

// std::invalid_argument when a reduction's dimension is above a requested
// set's input dimension, or for a count out of range; std::runtime_error for
// mnist-cnn in a build without libtorch. Before any work.
void check_options(const EvalOptions& o);

nlohmann::json run_eval(const EvalOptions& o);

}  // namespace veil::apps::eval
