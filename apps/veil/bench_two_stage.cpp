// `veil bench --two-stage`: single-stage full-dimension encrypted search
// against two-stage search (coarse encrypted pass over PCA-reduced templates,
// exact re-score of the top K) on generated identity-structured templates,
// calibrated to the FaceNet set when it is present. Same gallery, same
// probes, same process: rank-1 of each and the time per probe, and the
// speed-up of each K over the single stage.
#include "bench_two_stage.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "timing.h"
#include "veil/data/identity_calibration.h"
#include "veil/data/labeled_sets.h"
#include "veil/reduce/pca.h"
#include "veil/reduce/two_stage.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/enroll.h"
#include "veil/search/key_holder.h"
#include "veil/search/parallel.h"
#include "veil/search/probe.h"
#include "veil/search/quantize.h"
#include "veil/search/server.h"

namespace veil::apps {

namespace {

// Generator parameters: calibrated to FaceNet's genuine/impostor cosines
// when the data set is there, else the generator's defaults (said so).
data::IdentityGenParams population(const TwoStageBenchOptions& o, nlohmann::json& out) {
  data::IdentityGenParams base;
  base.ambient_dim = o.full_dimension;
  base.intrinsic_dim = o.intrinsic_dimension;
  base.seed = o.seed;
  try {
    const data::LabeledSet facenet = data::load_facenet(o.datasets);
    const data::Calibration c = data::calibrate_to(facenet, base);
    std::cerr << "calibrated to FaceNet (" << facenet.x.rows << " rows): target "
              << data::to_string(c.target) << "\n  generator " << data::to_string(c.achieved)
              << (c.converged ? "" : " (not converged)") << "\n";
    out["calibration"] = {{"reference", "FaceNet bollywood10 (real)"},
                          {"target", data::to_string(c.target)},
                          {"achieved", data::to_string(c.achieved)},
                          {"converged", c.converged}};
    return c.params;
  } catch (const std::exception& e) {
    std::cerr << "FaceNet not available (" << e.what() << "): generator defaults, uncalibrated\n";
    out["calibration"] = {{"reference", "none"}, {"reason", e.what()}};
    return base;
  }
}

}  // namespace

nlohmann::json run_two_stage_bench(const TwoStageBenchOptions& o) {
  using namespace veil::search;
  const std::size_t threads = o.threads ? o.threads : default_threads();
  nlohmann::json out;
  data::IdentityGenParams p = population(o, out);
  p.identities = o.templates;
  p.samples_per_identity = 2;  // sample 0 enrolled, sample 1 a probe
  out["generator"] = data::to_string(p);

  // Gallery: sample 0 of every identity; probes: sample 1 of evenly spaced identities.
  std::cerr << "generating " << o.templates << " identities x 2 samples, d=" << o.full_dimension
            << "...\n";
  auto t = Clock::now();
  const data::IdentityGenerator gen(p);
  const std::size_t D = o.full_dimension;
  data::Matrix gallery{o.templates, D, std::vector<float>(o.templates * D)};
  std::vector<std::size_t> probe_ids;
  for (std::size_t i = 0; i < o.probes; ++i) probe_ids.push_back(i * (o.templates / o.probes));
  data::Matrix probes{probe_ids.size(), D, std::vector<float>(probe_ids.size() * D)};
  {
    const std::size_t chunk = 8192;
    std::vector<float> buf(chunk * 2 * D);
    std::size_t next_probe = 0;
    for (std::size_t first = 0; first < o.templates; first += chunk) {
      const std::size_t count = std::min(chunk, o.templates - first);
      gen.generate(first, count, std::span<float>(buf.data(), count * 2 * D),
                   static_cast<unsigned>(threads));
      for (std::size_t i = 0; i < count; ++i) {
        std::copy_n(buf.data() + 2 * i * D, D, gallery.row(first + i));
        while (next_probe < probe_ids.size() && probe_ids[next_probe] == first + i) {
          std::copy_n(buf.data() + (2 * i + 1) * D, D, probes.row(next_probe++));
        }
      }
    }
  }
  std::cerr << "  " << ms_since(t) / 1e3 << " s\n";

  // PCA fitted on other identities of the same population: the seed also
  // draws the identity subspace, so identities [n, n + T) of the same seed.
  data::IdentityGenParams tp = p;
  tp.identities = o.templates + o.train_identities;
  data::Matrix train{2 * o.train_identities, D, std::vector<float>(2 * o.train_identities * D)};
  data::IdentityGenerator(tp).generate(o.templates, o.train_identities, train.values,
                                       static_cast<unsigned>(threads));
  out["train"] = "identities [" + std::to_string(o.templates) + ", " +
                 std::to_string(o.templates + o.train_identities) + ") of the same population";

  SearchConfig full = SearchConfig::derive({.dimension = D});
  auto ctx = make_context(full);
  rlwe::KeyGenerator kg(ctx);
  rlwe::SecretKey sk = kg.secret_key();
  rlwe::GaloisKeys galois = make_expansion_keys(full, ctx, sk);
  const io::KeyId key_id = key_id_of(*ctx, kg.public_key(sk));

  // Single stage: the full-dimension encrypted gallery.
  std::cerr << "encrypting the full " << D << "-d gallery...\n";
  t = Clock::now();
  const QuantizedRows q_gallery = quantize_rows(gallery.values, D, full.quant_scale);
  std::vector<Words> full_blocks;
  {
    GalleryEncryptor enc(full, ctx, sk);
    for (std::size_t first = 0; first < o.templates; first += full.n)
      full_blocks.push_back(
          enc.encrypt_block(q_gallery, first, std::min(full.n, o.templates - first), threads));
  }
  std::vector<const std::uint32_t*> full_ptrs;
  for (const auto& b : full_blocks) full_ptrs.push_back(b.data());
  std::cerr << "  " << ms_since(t) / 1e3 << " s\n";

  const auto valid = [&](std::size_t i) { return i < o.templates; };
  nlohmann::json rows = nlohmann::json::array();
  // Single stage, per probe.
  double single_ms = 0, single_rank1 = 0;
  std::vector<std::size_t> single_top1(probes.rows, SIZE_MAX);
  {
    SearchServer server(full, ctx, galois, key_id, threads);
    ScoreDecryptor key_holder(full, ctx, sk, key_id);
    ProbeEncryptor client(full, ctx, sk, key_id);
    std::vector<double> times;
    std::size_t hits = 0;
    for (std::size_t i = 0; i < probes.rows; ++i) {
      const QuantizedRows qp = quantize_rows({probes.row(i), D}, D, full.quant_scale);
      const EncryptedProbe ep = client.encrypt(qp.row(0));
      const auto t0 = Clock::now();
      const Words expanded = server.expand(ep);
      const EncryptedScores scores = server.score(expanded, full_ptrs);
      const ProbeKey key = key_holder.prepare(expanded, threads);
      const auto best = top_k(key_holder.decrypt(scores, key, threads), 10, valid);
      times.push_back(ms_since(t0));
      hits += !best.empty() && best[0].index == probe_ids[i];
      if (!best.empty()) single_top1[i] = best[0].index;
    }
    single_ms = median(times);
    single_rank1 = 100.0 * hits / probes.rows;
    std::cerr << "single stage d=" << D << ": rank-1 " << single_rank1 << "%, " << single_ms
              << " ms per probe (median)\n";
    rows.push_back({{"mode", "single-stage"},
                    {"dimension", D},
                    {"rank1", single_rank1},
                    {"ms_per_probe", single_ms}});
  }
  full_blocks.clear();  // free the 8 B x D per template before the next layout

  for (std::size_t coarse_d : o.coarse_dimensions) {
    std::cerr << "PCA " << D << "->" << coarse_d << " on " << train.rows << " rows...\n";
    auto pca = std::make_shared<reduce::PcaModel>(reduce::PcaModel::fit(train, coarse_d));
    const reduce::TwoStageLayout layout =
        reduce::make_two_stage_layout(SearchConfig::derive({.dimension = coarse_d}), D);
    std::cerr << "encrypting the two-stage gallery (" << layout.block_bytes() / 1e6
              << " MB per block)...\n";
    t = Clock::now();
    std::vector<reduce::BlockBytes> blocks;
    {
      reduce::TwoStageEnroller enroller(layout, ctx, sk, pca);
      for (std::size_t first = 0; first < o.templates; first += layout.coarse.n) {
        blocks.emplace_back(layout.block_bytes());
        enroller.encrypt_block(gallery, first, std::min(layout.coarse.n, o.templates - first),
                               blocks.back(), threads);
      }
    }
    std::cerr << "  " << ms_since(t) / 1e3 << " s\n";
    std::vector<const std::uint8_t*> ptrs;
    for (const auto& b : blocks) ptrs.push_back(b.data());
    rlwe::GaloisKeys coarse_keys = make_expansion_keys(layout.coarse, ctx, sk);
    const reduce::TwoStageSearcher searcher(layout, ctx, sk, key_id, coarse_keys, pca, ptrs,
                                            o.templates, threads);
    for (std::size_t K : o.candidates) {
      std::vector<double> total, server, holder, gather, rescore;
      std::size_t hits = 0, same_top1 = 0, rows_bytes = 0;
      for (std::size_t i = 0; i < probes.rows; ++i) {
        const reduce::TwoStageResult r = searcher.search({probes.row(i), D}, K, 10);
        total.push_back(r.ms.total() - r.ms.reduce_probe - r.ms.encrypt_probe);
        server.push_back(r.ms.server());
        holder.push_back(r.ms.prepare + r.ms.decrypt + r.ms.select + r.ms.rescore);
        gather.push_back(r.ms.gather);
        rescore.push_back(r.ms.rescore);
        rows_bytes = r.rows_bytes;
        hits += !r.matches.empty() && r.matches[0].index == probe_ids[i];
        same_top1 += !r.matches.empty() && r.matches[0].index == single_top1[i];
      }
      const double rank1 = 100.0 * hits / probes.rows, ms = median(total);
      std::cerr << "two-stage " << coarse_d << "-d PCA, K=" << K << ": rank-1 " << rank1 << "%, "
                << ms << " ms per probe (server " << median(server) << " of which gather "
                << median(gather) << ", key holder " << median(holder) << " of which re-score "
                << median(rescore) << "), speed-up " << single_ms / ms
                << "x, top-1 as single stage " << 100.0 * same_top1 / probes.rows << "%\n";
      rows.push_back({{"mode", "two-stage"},
                      {"reduction", pca->describe()},
                      {"coarse_dimension", coarse_d},
                      {"K", K},
                      {"rank1", rank1},
                      {"ms_per_probe", ms},
                      {"server_ms", median(server)},
                      {"key_holder_ms", median(holder)},
                      {"stage2_gather_ms", median(gather)},
                      {"stage2_rescore_ms", median(rescore)},
                      {"stage2_rows_bytes", rows_bytes},
                      {"speedup", single_ms / ms},
                      {"top1_same_as_single_stage", 100.0 * same_top1 / probes.rows},
                      {"rank1_delta_points", rank1 - single_rank1}});
    }
  }
  out["results"] = rows;
  out["templates"] = o.templates;
  out["probes"] = probes.rows;
  out["threads"] = threads;
  return out;
}

namespace {
std::string fixed2(const nlohmann::json& v) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << v.get<double>();
  return s.str();
}
}  // namespace

void print_two_stage_table(const nlohmann::json& r) {
  std::cout << "\n"
            << r["templates"] << " generated templates, " << r["probes"]
            << " probes, rank-1 and median time per probe (server + key holder, "
               "probe encryption excluded)\n\n";
  std::cout << "| mode | coarse d | K | rank-1 % | top-1 = single-stage's | ms / probe | stage 2: "
               "server gather ms | stage 2: key holder re-score ms | speed-up |\n"
               "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& row : r["results"]) {
    std::cout
        << std::fixed << std::setprecision(1) << "| " << row["mode"].get<std::string>() << " | "
        << (row.contains("coarse_dimension") ? row["coarse_dimension"].dump() : "-") << " | "
        << (row.contains("K") ? row["K"].dump() : "-") << " | " << row["rank1"].get<double>()
        << " | "
        << (row.contains("top1_same_as_single_stage")
                ? std::to_string(std::lround(row["top1_same_as_single_stage"].get<double>())) + "%"
                : "-")
        << " | " << row["ms_per_probe"].get<double>() << " | "
        << (row.contains("stage2_gather_ms") ? fixed2(row["stage2_gather_ms"]) : "-") << " | "
        << (row.contains("stage2_rescore_ms") ? fixed2(row["stage2_rescore_ms"]) : "-") << " | "
        << (row.contains("speedup") ? row["speedup"].get<double>() : 1.0) << "x |\n";
  }
}

}  // namespace veil::apps
