#include "eval_plain.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "veil/reduce/metrics.h"

namespace veil::apps::eval {

namespace {

data::Matrix rows_of(const data::Matrix& x, const std::vector<std::size_t>& ids) {
  data::Matrix out{ids.size(), x.cols, std::vector<float>(ids.size() * x.cols)};
  for (std::size_t i = 0; i < ids.size(); ++i) std::copy_n(x.row(ids[i]), x.cols, out.row(i));
  return out;
}

std::vector<std::int64_t> labels_of(const std::vector<std::int64_t>& labels,
                                    const std::vector<std::size_t>& ids) {
  std::vector<std::int64_t> out;
  for (std::size_t i : ids) out.push_back(labels[i]);
  return out;
}

double pct(double x) { return std::isnan(x) ? x : 100.0 * x; }

nlohmann::json tar_json(const reduce::TarAtFar& t) {
  nlohmann::json j = {{"far", t.far_target}, {"valid", t.valid}};
  if (t.valid) {
    j["tar"] = pct(t.tar);
    j["threshold"] = t.threshold;
    j["far_achieved"] = t.far_achieved;
  } else {
    j["tar"] = nullptr;
    j["reason"] = t.reason;
  }
  return j;
}

}  // namespace

std::vector<std::size_t> spaced(std::size_t total, std::size_t count) {
  count = std::min(count, total);
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(i * total / count);
  return out;
}

std::vector<std::size_t> all_probes(std::size_t total) { return spaced(total, total); }

data::IntMatrix plain_top(const EvalSet& set, const data::Matrix& gallery,
                          const data::Matrix& probes, const std::vector<std::size_t>& probe_ids,
                          unsigned threads) {
  const std::size_t extra = set.leave_one_out ? 1 : 0;
  const reduce::TopK t = reduce::exact_top_k(gallery, rows_of(probes, probe_ids), kTop + extra,
                                             reduce::Similarity::kInnerProduct, threads);
  data::IntMatrix out{probe_ids.size(), kTop,
                      std::vector<std::int32_t>(probe_ids.size() * kTop, -1)};
  for (std::size_t i = 0; i < probe_ids.size(); ++i) {
    const std::int64_t self =
        set.leave_one_out ? static_cast<std::int64_t>(set.probe_rows[probe_ids[i]]) : -1;
    std::size_t n = 0;
    for (std::size_t j = 0; j < t.ids.cols && n < kTop; ++j) {
      const std::int32_t id = t.ids.row(i)[j];
      if (id != self) out.row(i)[n++] = id;
    }
  }
  return out;
}

nlohmann::json top_metrics(const EvalSet& set, const data::IntMatrix& top,
                           const std::vector<std::size_t>& probe_ids,
                           const data::IntMatrix& exact) {
  const auto id = reduce::identification_from_top_k(top, set.gallery_labels,
                                                    labels_of(set.probe_labels, probe_ids));
  data::IntMatrix ex{probe_ids.size(), exact.cols, {}};
  for (std::size_t i : probe_ids)
    ex.values.insert(ex.values.end(), exact.row(i), exact.row(i) + exact.cols);
  return {{"probes", probe_ids.size()},
          {"probes_without_mate", id.probes_without_mate},
          {"rank1", pct(id.rank1)},
          {"rank10", pct(id.rank10)},
          {"recall10", pct(reduce::recall_at_k(top, ex, kTop))}};
}

nlohmann::json verification(const EvalSet& set, const data::Matrix& gallery,
                            const data::Matrix& probes) {
  reduce::PairScores ps;
  std::string pairs;
  if (set.leave_one_out) {
    const auto ids = all_probes(std::min(kVerificationRows, gallery.rows));
    ps = reduce::pair_scores(rows_of(gallery, ids), labels_of(set.gallery_labels, ids));
    pairs = "all unordered pairs of the first " + std::to_string(ids.size()) + " eval rows";
  } else {
    const auto g = all_probes(std::min(kVerificationRows, gallery.rows));
    const auto p = all_probes(std::min(kVerificationRows, probes.rows));
    ps = reduce::pair_scores(rows_of(gallery, g), labels_of(set.gallery_labels, g),
                             rows_of(probes, p), labels_of(set.probe_labels, p));
    pairs = "first " + std::to_string(p.size()) + " probes x first " + std::to_string(g.size()) +
            " gallery rows";
  }
  return {{"pairs", pairs},
          {"genuine", ps.genuine.size()},
          {"impostor", ps.impostor.size()},
          {"far_1e-3", tar_json(reduce::tar_at_far(ps.genuine, ps.impostor, 1e-3))},
          {"far_1e-4", tar_json(reduce::tar_at_far(ps.genuine, ps.impostor, 1e-4))}};
}

double plain_ms_per_probe(const data::Matrix& gallery, const data::Matrix& probes,
                          std::size_t max_probes) {
  std::vector<double> ms;
  for (std::size_t i : spaced(probes.rows, max_probes)) {
    const data::Matrix one{1, probes.cols,
                           std::vector<float>(probes.row(i), probes.row(i) + probes.cols)};
    const auto t0 = std::chrono::steady_clock::now();
    const auto t =
        reduce::exact_top_k(gallery, one, kTop + 1, reduce::Similarity::kInnerProduct, 1);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    (void)t;
  }
  std::sort(ms.begin(), ms.end());
  return ms.empty() ? 0 : ms[ms.size() / 2];
}

}  // namespace veil::apps::eval
