#include "veil/collection/key_holder.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "veil/io/elapsed.h"
#include "veil/search/key_identity.h"
#include "veil/search/rerank.h"
#include "veil/search/rerank_wire.h"
#include "veil/search/server.h"

namespace veil::collection {

namespace {
using Clock = std::chrono::steady_clock;
using io::ms_since;

// Ranked ids (and, when asked, cosines = score / unit rounded) of `m`.
RankedAnswer to_answer(const std::vector<search::Match>& m, const SlotLookup& slots, double unit,
                       bool with_scores) {
  RankedAnswer a;
  for (std::size_t i = 0; i < m.size(); ++i) {
    RankedHit h{i + 1, slots.id(m[i].index), slots.label(m[i].index), std::nullopt};
    if (with_scores) h.cosine = std::round(m[i].score / unit / kScoreResolution) * kScoreResolution;
    a.hits.push_back(std::move(h));
  }
  return a;
}
}  // namespace

KeyHolder::KeyHolder(const KeyDir& keys, std::size_t threads) : keys_(keys), threads_(threads) {
  if (!keys.sk) throw std::runtime_error("the key holder needs secret.key");
  if (!keys.expansion) throw std::runtime_error("the key holder needs expansion.keys");
}

const KeyHolder::PerConfig& KeyHolder::for_config(const search::SearchConfig& c) const {
  const std::vector<std::uint8_t> saved = search::save_config(c, keys_.ctx->id());
  std::string key(saved.begin(), saved.end());
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = per_config_.find(key);
  if (it == per_config_.end()) {
    std::unique_ptr<PerConfig> p(
        new PerConfig{search::ScoreDecryptor(c, keys_.ctx, *keys_.sk, keys_.key_id),
                      search::ProbeExpander(c, keys_.ctx, *keys_.expansion)});
    it = per_config_.emplace(std::move(key), std::move(p)).first;
  }
  return *it->second;
}

std::vector<search::Match> KeyHolder::matches(const search::SearchConfig& c,
                                              std::span<const std::uint8_t> probe_bytes,
                                              std::span<const std::uint8_t> score_bytes,
                                              const SlotLookup& slots, const RankQuery& q,
                                              RankTimings* timings,
                                              const search::Words* expanded) const {
  const PerConfig& pc = for_config(c);
  auto t0 = Clock::now();
  // Both messages are checked (format, parameter set, key set) before any
  // decryption.
  search::EncryptedScores scores = search::load_scores(c, keys_.ctx->id(), score_bytes);
  search::require_key(scores.key_id, keys_.key_id, "response");
  const std::size_t covered = scores.blocks * c.n;
  if (covered > slots.slots()) {
    throw StaleTableError("the response covers " + std::to_string(covered) +
                          " slots; the key holder's slot table " + std::to_string(slots.slots()));
  }
  search::ProbeKey key;
  if (expanded) {
    key = pc.decryptor.prepare(*expanded, threads_);
  } else {
    const search::EncryptedProbe probe = search::load_probe(c, *keys_.ctx, probe_bytes);
    search::require_key(probe.key_id, keys_.key_id, "probe");
    const auto te = Clock::now();
    const search::Words expanded_here = pc.expander.expand(probe, threads_);
    if (timings) timings->expand_ms = ms_since(te);
    key = pc.decryptor.prepare(expanded_here, threads_);
  }
  if (timings) timings->prepare_ms = ms_since(t0);
  t0 = Clock::now();
  const std::vector<std::int64_t> all = pc.decryptor.decrypt(scores, key, threads_);
  auto live = [&](std::size_t i) { return slots.live(i); };
  std::vector<search::Match> out;
  if (q.threshold) {
    const double unit = static_cast<double>(c.quant_scale) * c.quant_scale;
    out = search::above_threshold(all, static_cast<std::int64_t>(std::ceil(*q.threshold * unit)),
                                  live);
  } else {
    out = search::top_k(all, q.k, live);
  }
  if (timings) timings->decrypt_ms = ms_since(t0);
  return out;
}

RankedAnswer KeyHolder::rank(const search::SearchConfig& c, std::span<const std::uint8_t> probe,
                             std::span<const std::uint8_t> scores, const SlotLookup& slots,
                             const RankQuery& q, RankTimings* timings) const {
  const std::vector<search::Match> m = matches(c, probe, scores, slots, q, timings);
  return to_answer(m, slots, static_cast<double>(c.quant_scale) * c.quant_scale, q.with_scores);
}

std::vector<std::uint64_t> KeyHolder::shortlist(const reduce::TwoStageConfig& c,
                                                std::span<const std::uint8_t> probe,
                                                std::span<const std::uint8_t> scores,
                                                const SlotLookup& slots, std::size_t candidates,
                                                RankTimings* timings) const {
  if (candidates == 0 || candidates > search::kMaxCandidates) {
    throw std::invalid_argument("two-stage search: K = " + std::to_string(candidates) +
                                " candidates (1.." + std::to_string(search::kMaxCandidates) + ")");
  }
  RankQuery q;
  q.k = candidates;
  const std::vector<search::Match> m = matches(c.layout.coarse, probe, scores, slots, q, timings);
  std::vector<std::uint64_t> out;
  out.reserve(m.size());
  for (const search::Match& x : m) out.push_back(x.index);
  return out;
}

RankedAnswer KeyHolder::rescore(const reduce::TwoStageConfig& c, std::span<const std::uint8_t> rows,
                                std::span<const std::uint64_t> requested,
                                std::span<const std::int16_t> full_probe, const SlotLookup& slots,
                                const RankQuery& q) const {
  const reduce::TwoStageLayout& l = c.layout;
  if (full_probe.size() != l.rows.dimension) {
    throw std::invalid_argument("two-stage search: a full probe of dimension " +
                                std::to_string(full_probe.size()) + ", the gallery's is " +
                                std::to_string(l.rows.dimension));
  }
  const search::CandidateRows got =
      search::load_candidate_rows(rows, keys_.ctx->id(), l.rows, requested);
  const search::RowCipher cipher(*keys_.ctx, *keys_.sk, l.rows);
  // Every candidate scored; the threshold or top-k among the live ones.
  std::vector<search::Match> m = cipher.rescore(got, full_probe, got.size());
  const double unit = static_cast<double>(l.full_scale) * l.full_scale;
  const auto min_score = q.threshold ? static_cast<std::int64_t>(std::ceil(*q.threshold * unit))
                                     : std::numeric_limits<std::int64_t>::min();
  std::erase_if(
      m, [&](const search::Match& x) { return !slots.live(x.index) || x.score < min_score; });
  if (!q.threshold && m.size() > q.k) m.resize(q.k);
  return to_answer(m, slots, unit, q.with_scores);
}

}  // namespace veil::collection
