// `veil eval`: plaintext float search at a reduced dimension (and the exact
// full-dimension ground truth), and the metrics of any top-10 lists.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <vector>

#include "eval_data.h"
#include "veil/data/matrix.h"

namespace veil::apps::eval {

inline constexpr std::size_t kTop = 10;
// Rows of the verification subset (pairs grow as its square).
inline constexpr std::size_t kVerificationRows = 2000;

// The best kTop gallery rows of each probe by inner product (rows of unit
// length: cosine), best first, ties to the lower row; under leave-one-out a
// probe's own row is left out. `probe_ids` selects the probes (indices into
// set's probes); `gallery` and `probes` are the set's rows after a reduction
// (probes: one row per probe of the set, all of them).
data::IntMatrix plain_top(const EvalSet& set, const data::Matrix& gallery,
                          const data::Matrix& probes, const std::vector<std::size_t>& probe_ids,
                          unsigned threads);

// rank1, rank10, recall10 (percent) of top lists for `probe_ids`, recall
// against `exact` (the full-dimension plain_top of all probes).
nlohmann::json top_metrics(const EvalSet& set, const data::IntMatrix& top,
                           const std::vector<std::size_t>& probe_ids, const data::IntMatrix& exact);

// TAR at FAR 1e-3 and 1e-4 from genuine / impostor pair scores of the
// verification subset at the given (reduced) representation.
nlohmann::json verification(const EvalSet& set, const data::Matrix& gallery,
                            const data::Matrix& probes);

// Median wall time of a brute-force single-thread search of one probe, ms.
double plain_ms_per_probe(const data::Matrix& gallery, const data::Matrix& probes,
                          std::size_t max_probes);

// 0, step, 2 step, ...: `count` evenly spaced probes of `total`.
std::vector<std::size_t> spaced(std::size_t total, std::size_t count);
std::vector<std::size_t> all_probes(std::size_t total);

}  // namespace veil::apps::eval
