// `veil eval`: the data sets, each split by its protocol into a training set
// (reductions are fitted on it) and an evaluation set (gallery and probes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval_spec.h"
#include "veil/data/matrix.h"

namespace veil::apps::eval {

struct EvalSet {
  DatasetKind kind{};
  std::string name;  // the loader's name, e.g. "facenet-bollywood10"
  bool real = true;
  data::Matrix train;                      // rows the reductions are fitted on (raw, as loaded)
  std::vector<std::int64_t> train_labels;  // one per train row (DeepMDS++ needs identities)
  data::Matrix gallery;
  std::vector<std::int64_t> gallery_labels;
  // Leave-one-out: the probes are gallery rows (probe_rows[i] is probe i's
  // gallery row) and a probe's own row is excluded from its results.
  bool leave_one_out = false;
  data::Matrix probes;  // empty when leave_one_out (the gallery rows are used)
  std::vector<std::int64_t> probe_labels;
  std::vector<std::size_t> probe_rows;  // leave_one_out only
  std::string protocol;                 // for the report
  nlohmann::json provenance;            // sizes, source notes, calibration
  std::size_t dim() const { return gallery.cols; }
  std::size_t probe_count() const { return probe_labels.size(); }
  // Probe i's values (a gallery row under leave-one-out).
  const float* probe(std::size_t i) const {
    return leave_one_out ? gallery.row(probe_rows[i]) : probes.row(i);
  }
};

struct LoadOptions {
  std::filesystem::path datasets;
  std::size_t generated_identities = 20000;
  std::uint64_t seed = 20261121;
  unsigned threads = 0;
  std::size_t mnist_cnn_images = 50000;  // mnist-cnn: CNN training images
  std::size_t mnist_cnn_epochs = 2;
};

// Throws the loaders' errors (a missing file names its path).
EvalSet load_eval_set(DatasetKind kind, const LoadOptions& o);

// The probes as a matrix (copies under leave-one-out).
data::Matrix probe_matrix(const EvalSet& s);

}  // namespace veil::apps::eval
