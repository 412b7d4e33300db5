// `veil eval`: real encrypted search over a set's (reduced) gallery, all
// parties in one process: single-stage search at the reduced dimension, and
// two-stage search (reduced coarse pass, full-dimension re-score of K).
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "eval_data.h"
#include "veil/data/matrix.h"
#include "veil/reduce/model.h"

namespace veil::apps::eval {

struct EncryptedRun {
  data::IntMatrix top;         // per probe of probe_ids: the decrypted top-10 gallery rows
  std::size_t mismatches = 0;  // probes whose decrypted top-10 differs from the plaintext
                               // quantised top-10 (ids or scores)
  double ms = 0, server_ms = 0, key_holder_ms = 0;  // medians per probe
  std::size_t quant_scale = 0;
};

// Single stage: SearchConfig::derive({.dimension = gallery.cols}), secret-key
// gallery of `gallery` (rows of the reduction), probes `probes` (one row per
// probe of the set) for `probe_ids`.
EncryptedRun run_encrypted(const EvalSet& set, const data::Matrix& gallery,
                           const data::Matrix& probes, const std::vector<std::size_t>& probe_ids,
                           std::size_t threads);

struct TwoStageRun {
  std::size_t K = 0;
  data::IntMatrix top;
  double ms = 0, server_ms = 0, key_holder_ms = 0;
};

// Two stage over the set's full-dimension gallery with `reducer` for the
// coarse pass; one run per K (each already clamped to the gallery size).
std::vector<TwoStageRun> run_two_stage(const EvalSet& set,
                                       std::shared_ptr<const reduce::Reducer> reducer,
                                       const std::vector<std::size_t>& Ks,
                                       const std::vector<std::size_t>& probe_ids,
                                       std::size_t threads);

}  // namespace veil::apps::eval
