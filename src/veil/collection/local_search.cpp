// The three parties in one process (gallery.h: GallerySearcher,
// TwoStageGallerySearcher): kept apart from gallery.cpp so that a program
// that only opens and serves galleries does not link the decryption code.
#include <chrono>
#include <cmath>

#include "veil/collection/gallery.h"
#include "veil/io/elapsed.h"
#include "veil/search/probe.h"
#include "veil/search/server.h"

namespace veil::collection {

namespace {
using Clock = std::chrono::steady_clock;
using io::ms_since;
}  // namespace

namespace {
const rlwe::SecretKey& need_secret(const KeyDir& keys) {
  if (!keys.sk)
    throw std::runtime_error("search needs the key holder's secret.key to decrypt scores");
  return *keys.sk;
}
const rlwe::GaloisKeys& need_expansion(const KeyDir& keys) {
  if (!keys.expansion) throw std::runtime_error("search needs expansion.keys for the server");
  return *keys.expansion;
}
const OpenGallery& same_keys(const OpenGallery& g, const KeyDir& keys) {
  require_same_keys(g, keys, "nothing was searched");
  return g;
}
// Why block `b` did not decode, for the user: where it is (segment, block,
// ids), and whether its bytes are damaged (checksum) or intact (so the keys
// are to blame: the store and the keys were already checked to carry the
// same key id, so it is a forged id or another set's expansion keys).
std::string diagnose_decode_failure(const store::GalleryStore& store, std::size_t b) {
  const store::BlockOrigin o = store.block_origin(b);
  std::string where = "gallery block " + std::to_string(b) + " (segment " + o.segment_file +
                      ", block " + std::to_string(o.position) + " of that segment, ids " +
                      o.first_id + " .. " + o.last_id + ")";
  if (std::optional<std::string> damage = store.block_damage(b)) {
    return where + " does not decode because it is damaged: " + *damage + ". veil repair " +
           store.dir().string() + " quarantines damaged blocks and lists the ids lost";
  }
  return where +
         " does not decode although its checksum is intact and the key ids match: the probe "
         "was forged under another key, or the server's expansion.keys belong to another key "
         "set";
}

// Matches (slot indices, best first) as ranked hits with ids and labels.
std::vector<Hit> to_hits(const store::GalleryStore& store, std::size_t n,
                         const std::vector<search::Match>& matches, double unit) {
  std::vector<Hit> hits;
  for (std::size_t i = 0; i < matches.size(); ++i) {
    auto info = store.slot(matches[i].index / n, static_cast<std::uint32_t>(matches[i].index % n));
    hits.push_back({i + 1, info->id, info->label, matches[i].score, matches[i].score / unit});
  }
  return hits;
}
}  // namespace

namespace {
// The store as the key holder sees slots (in one process it reads them
// from the store instead of a copied table).
class StoreLookup : public SlotLookup {
 public:
  explicit StoreLookup(const OpenGallery& g) : g_(g) {}
  std::size_t slots() const override { return g_.store.block_count() * g_.config.n; }
  bool live(std::size_t i) const override { return info(i).has_value(); }
  std::string id(std::size_t i) const override { return info(i).value().id; }
  std::string label(std::size_t i) const override { return info(i).value().label; }

 private:
  std::optional<store::SlotInfo> info(std::size_t i) const {
    const std::size_t n = g_.config.n;
    return g_.store.slot(i / n, static_cast<std::uint32_t>(i % n));
  }
  const OpenGallery& g_;
};
}  // namespace

GallerySearcher::GallerySearcher(const OpenGallery& g, const KeyDir& keys, std::size_t threads)
    : g_(same_keys(g, keys)),
      keys_(keys),
      client_((need_secret(keys), keys)),
      server_(g.config, keys.ctx, need_expansion(keys), g.store.config().key_id, threads),
      key_holder_(keys, threads) {
  g.store.advise_sequential();
  for (std::size_t b = 0; b < g.store.block_count(); ++b) {
    blocks_.push_back(reinterpret_cast<const std::uint32_t*>(g.store.block(b).data()));
  }
}

SearchResult GallerySearcher::search(const float* probe, std::size_t k,
                                     std::optional<double> threshold) const {
  const search::SearchConfig& c = g_.config;
  SearchResult r;
  // Client: quantise and encrypt one compact probe.
  const std::vector<std::uint8_t> wire = client_.encrypt_probe(c, {probe, c.dimension});
  r.probe_bytes = wire.size();
  // Server: expand, scan the memory-mapped blocks, switch down (as
  // GalleryServer::search, split here to time the phases).
  search::ScanTimings tm;
  auto t0 = Clock::now();
  const search::Words expanded = server_.expand(search::load_probe(c, *keys_.ctx, wire));
  tm.expand_s = ms_since(t0) / 1e3;
  const std::vector<std::uint8_t> response =
      search::save_scores(c, server_.score(expanded, blocks_, &tm));
  r.response_bytes = response.size();
  r.expand_ms = tm.expand_s * 1e3;
  r.scan_ms = tm.scan_s * 1e3;
  r.reduce_ms = tm.reduce_s * 1e3;
  // Key holder: the probe key, decrypt, rank, map slots to ids. In a
  // deployment it expands the probe itself (the same deterministic
  // computation, while the server scans); in one process it takes the
  // server's expansion.
  RankTimings kt;
  std::vector<search::Match> matches;
  try {
    matches = key_holder_.matches(c, wire, response, StoreLookup(g_),
                                  RankQuery{.k = k, .threshold = threshold}, &kt, &expanded);
  } catch (const search::DecodeError& e) {
    throw std::runtime_error(diagnose_decode_failure(g_.store, e.block()));
  }
  r.prepare_ms = kt.prepare_ms;
  r.key_holder_ms = kt.decrypt_ms;
  const double unit = static_cast<double>(c.quant_scale) * c.quant_scale;
  r.hits = to_hits(g_.store, c.n, matches, unit);
  return r;
}

TwoStageGallerySearcher::TwoStageGallerySearcher(const OpenGallery& g, const KeyDir& keys,
                                                 std::size_t candidates, std::size_t threads)
    : g_(same_keys(g, keys)), candidates_(candidates) {
  if (!g.two_stage || !g.model) {
    throw std::logic_error("TwoStageGallerySearcher needs a two-stage gallery and its model");
  }
  g.store.advise_sequential();
  std::vector<const std::uint8_t*> blocks;
  for (std::size_t b = 0; b < g.store.block_count(); ++b) blocks.push_back(g.store.block(b).data());
  searcher_ = std::make_unique<reduce::TwoStageSearcher>(
      g.two_stage->layout, keys.ctx, need_secret(keys), keys.key_id, need_expansion(keys), g.model,
      std::move(blocks), g.store.block_count() * g.config.n, threads);
}

SearchResult TwoStageGallerySearcher::search(const float* probe, std::size_t k,
                                             std::optional<double> threshold) const {
  const reduce::TwoStageLayout& l = g_.two_stage->layout;
  const std::size_t n = l.coarse.n;
  const std::size_t K = std::max(candidates_, k);
  // A threshold keeps every re-scored candidate at or above it.
  reduce::TwoStageResult t;
  try {
    t = searcher_->search({probe, l.rows.dimension}, K, threshold ? K : k, [&](std::size_t i) {
      return g_.store.slot(i / n, static_cast<std::uint32_t>(i % n)).has_value();
    });
  } catch (const search::DecodeError& e) {
    throw std::runtime_error(diagnose_decode_failure(g_.store, e.block()));
  }
  const double unit = static_cast<double>(l.full_scale) * l.full_scale;
  if (threshold) {
    const auto min_score = static_cast<std::int64_t>(std::ceil(*threshold * unit));
    std::erase_if(t.matches, [&](const search::Match& m) { return m.score < min_score; });
  }
  SearchResult r;
  r.hits = to_hits(g_.store, n, t.matches, unit);
  r.expand_ms = t.ms.expand;
  r.scan_ms = t.ms.scan;
  r.reduce_ms = t.ms.switch_down;
  r.prepare_ms = t.ms.prepare;
  r.key_holder_ms = t.ms.decrypt + t.ms.select;
  r.probe_bytes = t.probe_bytes;
  r.response_bytes = t.scores_bytes;
  r.candidates = K;
  r.gather_ms = t.ms.gather;
  r.rescore_ms = t.ms.rescore;
  r.request_bytes = t.request_bytes;
  r.rows_bytes = t.rows_bytes;
  return r;
}

std::unique_ptr<Searcher> make_searcher(const OpenGallery& g, const KeyDir& keys,
                                        std::optional<std::size_t> candidates,
                                        std::size_t threads) {
  if (g.two_stage) {
    return std::make_unique<TwoStageGallerySearcher>(
        g, keys, candidates.value_or(kDefaultCandidates), threads);
  }
  if (candidates) {
    throw std::runtime_error(
        "--candidates applies to two-stage galleries (made with veil enroll --reduce); this "
        "gallery is single-stage");
  }
  return std::make_unique<GallerySearcher>(g, keys, threads);
}

}  // namespace veil::collection
