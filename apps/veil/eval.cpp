#include "eval.h"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "commands.h"
#include "eval_data.h"
#include "eval_encrypted.h"
#include "eval_mnist_cnn.h"
#include "eval_plain.h"
#include "timing.h"
#include "veil/reduce/model.h"
#include "veil/reduce/pca.h"
#include "veil/search/parallel.h"

namespace veil::apps::eval {

namespace {

const char* kNoDeepMds =
    "deepmds needs libtorch to train (this build has none): pass --deepmds-model FILE, a model "
    "trained elsewhere with `veil fit-reduction --method deepmds`";

std::string pct(const nlohmann::json& v) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << (v.is_number() ? v.get<double>() : 0.0);
  return s.str();
}

data::Matrix normalized(data::Matrix m) {
  reduce::normalize_rows(m);
  return m;
}

struct Prepared {
  std::shared_ptr<const reduce::Reducer> model;  // null for none
  std::string describe;
  data::Matrix gallery, probes;  // reduced, unit rows
};

// The reduction's model for this set, or the reason it is skipped.
std::shared_ptr<const reduce::Reducer> make_model(const Reduction& r, const EvalSet& set,
                                                  const std::shared_ptr<const reduce::Reducer>& mds,
                                                  std::string& skip) {
  if (r.kind == ReductionKind::kPca) {
    std::cerr << "  fitting PCA " << set.dim() << "->" << r.dim << " on " << set.train.rows
              << " rows...\n";
    return std::make_shared<reduce::PcaModel>(reduce::PcaModel::fit(set.train, r.dim));
  }
  if (!mds && deep_mds_training_available()) {
    std::cerr << "  training DeepMDS++ " << set.dim() << "->" << r.dim << " on " << set.train.rows
              << " rows...\n";
    return train_deep_mds_for_eval(set.train, set.train_labels, r.dim);
  }
  if (!mds) {
    skip = kNoDeepMds;
  } else if (mds->kind() != reduce::ModelKind::kDeepMds) {
    skip = "--deepmds-model holds a " + mds->describe() + " model, not a DeepMDS++ one";
  } else if (mds->input_dim() != set.dim()) {
    skip = "the DeepMDS model maps " + std::to_string(mds->input_dim()) + "->" +
           std::to_string(mds->output_dim()) + ", the set has dimension " +
           std::to_string(set.dim());
  } else if (mds->output_dim() != r.dim) {
    skip = "the DeepMDS model maps to " + std::to_string(mds->output_dim()) + " dimensions, not " +
           std::to_string(r.dim);
  } else {
    return mds;
  }
  return nullptr;
}

nlohmann::json row_base(const Reduction& r, const Prepared& p, Mode mode) {
  return {{"reduction", r.name()}, {"kind", to_string(r.kind)}, {"describe", p.describe},
          {"dim", p.gallery.cols}, {"mode", to_string(mode)},   {"K", nullptr}};
}

std::vector<std::size_t> clamp_candidates(const std::vector<std::size_t>& Ks, std::size_t n,
                                          nlohmann::json& notes) {
  std::vector<std::size_t> out;
  for (std::size_t K : Ks) {
    std::size_t k = std::min(K, n);
    if (k < kTop + 1) k = std::min(kTop + 1, n);
    if (k != K) {
      const std::string note = "two-stage K=" + std::to_string(K) + " clamped to " +
                               std::to_string(k) + " (gallery of " + std::to_string(n) + " rows)";
      std::cerr << "  " << note << "\n";
      notes.push_back(note);
    }
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  return out;
}

nlohmann::json evaluate_set(const EvalSet& set, const EvalOptions& o,
                            const std::shared_ptr<const reduce::Reducer>& mds,
                            std::size_t threads) {
  nlohmann::json out = set.provenance;
  out["set"] = to_string(set.kind);
  out["notes"] = nlohmann::json::array();
  out["skipped"] = nlohmann::json::array();
  nlohmann::json rows = nlohmann::json::array();
  const auto t_threads = static_cast<unsigned>(threads);
  const data::Matrix full_gallery = normalized(set.gallery);
  const data::Matrix full_probes = normalized(probe_matrix(set));
  const auto every = all_probes(set.probe_count());
  const auto subset = spaced(set.probe_count(), o.max_probes);
  std::cerr << "  exact full-dimension search (ground truth for recall@10), " << every.size()
            << " probes x " << full_gallery.rows << " rows...\n";
  const data::IntMatrix exact = plain_top(set, full_gallery, full_probes, every, t_threads);
  const std::vector<std::size_t> Ks =
      clamp_candidates(o.candidates, set.gallery.rows, out["notes"]);
  auto has = [&](Mode m) { return std::find(o.modes.begin(), o.modes.end(), m) != o.modes.end(); };

  for (const Reduction& r : o.reductions) {
    std::cerr << set.name << " / " << r.name() << ":\n";
    Prepared p;
    if (r.kind == ReductionKind::kNone) {
      p.describe = "none (" + std::to_string(set.dim()) + "-d, rows L2-normalised)";
      p.gallery = full_gallery;
      p.probes = full_probes;
    } else {
      std::string skip;
      p.model = make_model(r, set, mds, skip);
      if (!p.model) {
        std::cerr << "  skipped: " << skip << "\n";
        out["skipped"].push_back({{"reduction", r.name()}, {"reason", skip}});
        continue;
      }
      p.describe = p.model->describe();
      p.gallery = p.model->apply(set.gallery);
      p.probes = p.model->apply(probe_matrix(set));
    }
    // Plaintext on the probes the encrypted modes use (they may be a subset).
    const nlohmann::json plain_subset =
        top_metrics(set, plain_top(set, p.gallery, p.probes, subset, t_threads), subset, exact);
    // Plaintext float search: always (the reference of the other modes).
    {
      auto t0 = Clock::now();
      nlohmann::json row = row_base(r, p, Mode::kPlaintext);
      // none: the exact full-dimension search is this row's search.
      const data::IntMatrix top =
          p.model ? plain_top(set, p.gallery, p.probes, every, t_threads) : exact;
      row.update(top_metrics(set, top, every, exact));
      row["verification"] = verification(set, p.gallery, p.probes);
      row["plaintext_same_probes"] = plain_subset;
      row["ms_per_probe"] = plain_ms_per_probe(p.gallery, p.probes, o.max_probes);
      row["timing"] = "float brute force, one probe at a time, 1 thread, median";
      std::cerr << "  plaintext: rank-1 " << pct(row["rank1"]) << "%, " << s_since(t0) << " s\n";
      rows.push_back(row);
    }
    if (has(Mode::kEncrypted)) {
      auto t0 = Clock::now();
      std::cerr << "  encrypted single stage, " << subset.size() << " probes...\n";
      const EncryptedRun run = run_encrypted(set, p.gallery, p.probes, subset, threads);
      nlohmann::json row = row_base(r, p, Mode::kEncrypted);
      row.update(top_metrics(set, run.top, subset, exact));
      row["plaintext_same_probes"] = plain_subset;
      row["mismatches"] = run.mismatches;
      row["quant_scale"] = run.quant_scale;
      row["ms_per_probe"] = run.ms;
      row["server_ms"] = run.server_ms;
      row["key_holder_ms"] = run.key_holder_ms;
      row["timing"] =
          "server (expand+scan+switch) + key holder (prepare+decrypt+top-k), median; "
          "probe quantisation and encryption excluded";
      std::cerr << "  encrypted: rank-1 " << pct(row["rank1"]) << "%, " << run.mismatches
                << " mismatches, " << run.ms << " ms/probe, " << s_since(t0) << " s\n";
      rows.push_back(row);
    }
    if (has(Mode::kTwoStage) && p.model) {
      auto t0 = Clock::now();
      std::cerr << "  two-stage, " << subset.size() << " probes, K=";
      for (std::size_t K : Ks) std::cerr << K << " ";
      std::cerr << "...\n";
      for (const TwoStageRun& run : run_two_stage(set, p.model, Ks, subset, threads)) {
        nlohmann::json row = row_base(r, p, Mode::kTwoStage);
        row["K"] = run.K;
        row.update(top_metrics(set, run.top, subset, exact));
        row["plaintext_same_probes"] = plain_subset;
        row["ms_per_probe"] = run.ms;
        row["server_ms"] = run.server_ms;
        row["key_holder_ms"] = run.key_holder_ms;
        row["timing"] =
            "TwoStageTimings total minus probe encryption (probe reduction "
            "included), median";
        std::cerr << "  two-stage K=" << run.K << ": rank-1 " << pct(row["rank1"]) << "%, "
                  << run.ms << " ms/probe\n";
        rows.push_back(row);
      }
      std::cerr << "  two-stage: " << s_since(t0) << " s\n";
    }
  }
  out["rows"] = rows;
  return out;
}

}  // namespace

std::size_t input_dim(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::kFacenet:
    case DatasetKind::kGenerated:
      return 512;
    case DatasetKind::kMnist:
    case DatasetKind::kFmnist:
      return 784;
    case DatasetKind::kMnistCnn:
      return kMnistCnnDim;
  }
  return 0;
}

void check_options(const EvalOptions& o) {
  const bool cnn =
      std::find(o.datasets.begin(), o.datasets.end(), DatasetKind::kMnistCnn) != o.datasets.end();
  if (cnn && !mnist_cnn_available()) throw std::runtime_error(kMnistCnnNeedsTorch);
  for (DatasetKind k : o.datasets)
    for (const Reduction& r : o.reductions)
      if (r.kind != ReductionKind::kNone && r.dim > input_dim(k))
        throw std::invalid_argument("reduction " + r.name() + ": dimension " +
                                    std::to_string(r.dim) + " is above the input dimension " +
                                    std::to_string(input_dim(k)) + " of " + to_string(k));
  if (o.max_probes == 0) throw std::invalid_argument("--max-probes must be at least 1");
  if (o.generated_identities < 2)
    throw std::invalid_argument("--generated-identities must be at least 2");
  if (o.mnist_cnn_images == 0 || o.mnist_cnn_images > kMnistCnnMaxTrainImages)
    throw std::invalid_argument(
        "--mnist-cnn-images must be 1 to " + std::to_string(kMnistCnnMaxTrainImages) +
        " (the last " + std::to_string(kMnistFitImages) +
        " train images fit the reductions), got " + std::to_string(o.mnist_cnn_images));
  if (o.mnist_cnn_epochs == 0) throw std::invalid_argument("--mnist-cnn-epochs must be at least 1");
}

nlohmann::json run_eval(const EvalOptions& o) {
  check_options(o);
  const std::size_t threads = o.threads ? o.threads : search::default_threads();
  std::shared_ptr<const reduce::Reducer> mds;
  if (o.deepmds_model) mds = reduce::read_model(*o.deepmds_model);
  bool wants_mds = false;
  for (const Reduction& r : o.reductions) wants_mds |= r.kind == ReductionKind::kDeepMds;
  if (wants_mds && !mds && !deep_mds_training_available())
    std::cerr << "eval: " << kNoDeepMds << "; those rows are skipped\n";

  nlohmann::json out;
  out["tool"] = "veil eval";
  out["units"] = {{"rank1", "percent of probes"},
                  {"rank10", "percent of probes"},
                  {"recall10", "percent: top-10 overlap with exact full-dimension float search"},
                  {"tar", "percent of genuine pairs accepted at the FAR threshold"},
                  {"ms_per_probe", "milliseconds, median over probes"}};
  nlohmann::json opts;
  for (auto d : o.datasets) opts["datasets"].push_back(to_string(d));
  for (auto& r : o.reductions) opts["reductions"].push_back(r.name());
  for (auto m : o.modes) opts["modes"].push_back(to_string(m));
  opts["K"] = o.candidates;
  opts["datasets_dir"] = o.datasets_dir.string();
  opts["generated_identities"] = o.generated_identities;
  opts["max_probes"] = o.max_probes;
  opts["mnist_cnn_images"] = o.mnist_cnn_images;
  opts["mnist_cnn_epochs"] = o.mnist_cnn_epochs;
  opts["threads"] = threads;
  opts["seed"] = o.seed;
  opts["deepmds_model"] = o.deepmds_model ? nlohmann::json(o.deepmds_model->string()) : nullptr;
  out["options"] = opts;
  out["common_protocol"] =
      "Plaintext rows (always measured): float cosine brute force over all probes at the reduced "
      "dimension. Encrypted rows: real single-stage encrypted search (secret-key gallery, "
      "SearchConfig derived for the reduced dimension) of up to max_probes evenly spaced "
      "probes; metrics from the decrypted top-10, each checked against the plaintext top-10 of "
      "the quantised vectors (mismatches). Two-stage rows: encrypted coarse pass at the reduced "
      "dimension, full-dimension re-score of K candidates, same probes. recall@10 against "
      "exact full-dimension float search. TAR@FAR on plaintext pair scores at the reduced "
      "dimension (plaintext rows only).";
  out["datasets"] = nlohmann::json::array();
  for (DatasetKind kind : o.datasets) {
    const auto t0 = Clock::now();
    std::cerr << "eval: loading " << to_string(kind) << "...\n";
    LoadOptions lo{
        o.datasets_dir,     o.generated_identities, o.seed, static_cast<unsigned>(threads),
        o.mnist_cnn_images, o.mnist_cnn_epochs};
    const EvalSet set = load_eval_set(kind, lo);
    std::cerr << "  " << set.name << ": " << (set.real ? "REAL" : "GENERATED")
              << ", d=" << set.dim() << ", train " << set.train.rows << ", gallery "
              << set.gallery.rows << ", probes " << set.probe_count()
              << (set.leave_one_out ? " (leave-one-out)" : "") << "\n";
    nlohmann::json j = evaluate_set(set, o, mds, threads);
    j["seconds"] = s_since(t0);
    out["datasets"].push_back(j);
  }
  return out;
}

}  // namespace veil::apps::eval
