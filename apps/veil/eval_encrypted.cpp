#include "eval_encrypted.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

#include "eval_plain.h"
#include "timing.h"
#include "veil/reduce/two_stage.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/enroll.h"
#include "veil/search/key_holder.h"
#include "veil/search/probe.h"
#include "veil/search/quantize.h"
#include "veil/search/server.h"

namespace veil::apps::eval {

namespace {

// Gallery row of probe i under leave-one-out, else none.
std::size_t self_row(const EvalSet& set, std::size_t probe) {
  return set.leave_one_out ? set.probe_rows[probe] : SIZE_MAX;
}

void progress(std::size_t done, std::size_t total, const char* what) {
  if (total >= 100 && done % (total / 4) == 0 && done > 0)
    std::cerr << "    " << what << " " << done << "/" << total << " probes\n";
}

}  // namespace

EncryptedRun run_encrypted(const EvalSet& set, const data::Matrix& gallery,
                           const data::Matrix& probes, const std::vector<std::size_t>& probe_ids,
                           std::size_t threads) {
  using namespace veil::search;
  const std::size_t d = gallery.cols, n = gallery.rows;
  const SearchConfig config = SearchConfig::derive({.dimension = d});
  auto ctx = make_context(config);
  rlwe::KeyGenerator kg(ctx);
  const rlwe::SecretKey sk = kg.secret_key();
  const QuantizedRows q_gallery = quantize_rows(gallery.values, d, config.quant_scale);
  std::vector<Words> blocks;
  {
    GalleryEncryptor enc(config, ctx, sk);
    for (std::size_t first = 0; first < n; first += config.n)
      blocks.push_back(enc.encrypt_block(q_gallery, first, std::min(config.n, n - first), threads));
  }
  std::vector<const std::uint32_t*> ptrs;
  for (const auto& b : blocks) ptrs.push_back(b.data());
  const io::KeyId key_id = key_id_of(*ctx, rlwe::KeyGenerator(ctx).public_key(sk));
  const SearchServer server(config, ctx, make_expansion_keys(config, ctx, sk), key_id, threads);
  const ScoreDecryptor key_holder(config, ctx, sk, key_id);
  const ProbeEncryptor client(config, ctx, sk, key_id);

  EncryptedRun run;
  run.quant_scale = config.quant_scale;
  run.top = {probe_ids.size(), kTop, std::vector<std::int32_t>(probe_ids.size() * kTop, -1)};
  std::vector<double> total, server_ms, holder_ms;
  std::vector<std::int64_t> plain(n);
  for (std::size_t i = 0; i < probe_ids.size(); ++i) {
    const std::size_t self = self_row(set, probe_ids[i]);
    const auto valid = [&](std::size_t s) { return s < n && s != self; };
    const QuantizedRows qp = quantize_rows({probes.row(probe_ids[i]), d}, d, config.quant_scale);
    const EncryptedProbe ep = client.encrypt(qp.row(0));
    const auto t0 = Clock::now();
    const Words expanded = server.expand(ep);
    const EncryptedScores scores = server.score(expanded, ptrs);
    const double t_server = ms_since(t0);
    const auto t1 = Clock::now();
    const ProbeKey key = key_holder.prepare(expanded, threads);
    const std::vector<Match> best = top_k(key_holder.decrypt(scores, key, threads), kTop, valid);
    const double t_holder = ms_since(t1);
    total.push_back(t_server + t_holder);
    server_ms.push_back(t_server);
    holder_ms.push_back(t_holder);
    for (std::size_t j = 0; j < best.size(); ++j)
      run.top.row(i)[j] = static_cast<std::int32_t>(best[j].index);

    // The plaintext quantised answer the decrypted one must equal.
    for (std::size_t g = 0; g < n; ++g) plain[g] = quantized_dot(qp.row(0), q_gallery.row(g));
    const std::vector<Match> expect = top_k(plain, kTop, valid);
    bool same = expect.size() == best.size();
    for (std::size_t j = 0; same && j < best.size(); ++j)
      same = expect[j].index == best[j].index && expect[j].score == best[j].score;
    run.mismatches += !same;
    progress(i + 1, probe_ids.size(), "encrypted");
  }
  run.ms = median(total);
  run.server_ms = median(server_ms);
  run.key_holder_ms = median(holder_ms);
  return run;
}

std::vector<TwoStageRun> run_two_stage(const EvalSet& set,
                                       std::shared_ptr<const reduce::Reducer> reducer,
                                       const std::vector<std::size_t>& Ks,
                                       const std::vector<std::size_t>& probe_ids,
                                       std::size_t threads) {
  using namespace veil::search;
  const std::size_t D = set.dim(), n = set.gallery.rows;
  const reduce::TwoStageLayout layout =
      reduce::make_two_stage_layout(SearchConfig::derive({.dimension = reducer->output_dim()}), D);
  auto ctx = make_context(layout.coarse);
  rlwe::KeyGenerator kg(ctx);
  const rlwe::SecretKey sk = kg.secret_key();
  std::vector<reduce::BlockBytes> blocks;
  {
    const reduce::TwoStageEnroller enroller(layout, ctx, sk, reducer);
    for (std::size_t first = 0; first < n; first += layout.coarse.n) {
      blocks.emplace_back(layout.block_bytes());
      enroller.encrypt_block(set.gallery, first, std::min(layout.coarse.n, n - first),
                             blocks.back(), threads);
    }
  }
  std::vector<const std::uint8_t*> ptrs;
  for (const auto& b : blocks) ptrs.push_back(b.data());
  const reduce::TwoStageSearcher searcher(
      layout, ctx, sk, key_id_of(*ctx, rlwe::KeyGenerator(ctx).public_key(sk)),
      make_expansion_keys(layout.coarse, ctx, sk), reducer, ptrs, n, threads);
  const std::size_t k = kTop + (set.leave_one_out ? 1 : 0);
  std::vector<TwoStageRun> runs;
  for (std::size_t K : Ks) {
    TwoStageRun run;
    run.K = K;
    const std::string K_label = "two-stage K=" + std::to_string(K);
    run.top = {probe_ids.size(), kTop, std::vector<std::int32_t>(probe_ids.size() * kTop, -1)};
    std::vector<double> total, server_ms, holder_ms;
    for (std::size_t i = 0; i < probe_ids.size(); ++i) {
      const std::size_t self = self_row(set, probe_ids[i]);
      const reduce::TwoStageResult r =
          searcher.search({set.probe(probe_ids[i]), D}, std::max(K, k), k);
      total.push_back(r.ms.total() - r.ms.encrypt_probe);
      server_ms.push_back(r.ms.server());
      holder_ms.push_back(r.ms.key_holder() - r.ms.encrypt_probe);
      std::size_t m = 0;
      for (const search::Match& match : r.matches)
        if (match.index != self && m < kTop)
          run.top.row(i)[m++] = static_cast<std::int32_t>(match.index);
      progress(i + 1, probe_ids.size(), K_label.c_str());
    }
    run.ms = median(total);
    run.server_ms = median(server_ms);
    run.key_holder_ms = median(holder_ms);
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace veil::apps::eval
