#include "veil/collection/gallery.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>

#include "veil/collection/client.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/io/text_check.h"
#include "veil/rlwe/errors.h"
#include "veil/search/enroll.h"
#include "veil/search/parallel.h"
#include "veil/search/probe.h"
#include "veil/search/quantize.h"
#include "veil/search/server.h"

namespace veil::collection {

namespace fs = std::filesystem;
namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
}  // namespace
namespace {
bool store_exists(const fs::path& dir) { return fs::exists(dir / "manifest.json"); }
}  // namespace

void require_same_keys(const OpenGallery& g, const KeyDir& keys, const std::string& consequence) {
  const store::StoreConfig& c = g.store.config();
  if (c.param_id != keys.ctx->id()) {
    throw std::runtime_error("the gallery " + g.store.dir().string() +
                             " was made for another parameter set (" + rlwe::hex_id(c.param_id) +
                             "; the keys are " + rlwe::hex_id(keys.ctx->id()) +
                             "): " + consequence);
  }
  if (c.key_id != keys.key_id) {
    throw std::runtime_error("the gallery " + g.store.dir().string() + " belongs to key " +
                             c.key_id.hex() + "; these keys are another key, " + keys.key_id.hex() +
                             " (another veil keygen): " + consequence);
  }
}

namespace {

// The store's model, checked against the config's fingerprint; a
// std::runtime_error saying what is wrong otherwise (read once, not twice).
std::shared_ptr<const reduce::Reducer> load_store_model(const fs::path& dir,
                                                        const reduce::TwoStageConfig& c) {
  const fs::path path = dir / kModelFileName;
  if (!fs::exists(path)) {
    throw std::runtime_error(
        path.string() +
        " is missing: a two-stage gallery needs the reduction model it was made with "
        "(veil enroll --reduce MODEL restores it)");
  }
  std::shared_ptr<const reduce::Reducer> m;
  try {
    m = reduce::read_model(path);
  } catch (const io::FormatError& e) {
    throw std::runtime_error(e.what());  // names the file
  }
  try {
    reduce::check_model(c, *m);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path.string() + ": " + e.what());
  }
  return m;
}

}  // namespace

std::optional<std::string> model_problem(const fs::path& dir, const reduce::TwoStageConfig& c) {
  try {
    load_store_model(dir, c);
  } catch (const std::exception& e) {
    return e.what();
  }
  return std::nullopt;
}

OpenGallery open_gallery(const fs::path& dir, store::Mode mode, NeedModel need_model) {
  if (!store_exists(dir))
    throw std::runtime_error(dir.string() + " is not a gallery store (no manifest.json)");
  store::GalleryStore s = store::GalleryStore::open(dir, mode);
  const std::vector<std::uint8_t>& bytes = s.config().search_config;
  std::optional<reduce::TwoStageConfig> two_stage;
  search::SearchConfig c;
  std::size_t block_bytes = 0;
  if (io::peek_type(bytes) == io::ObjectType::TwoStageConfig) {
    two_stage = reduce::load_two_stage_config(bytes);
    c = two_stage->layout.coarse;
    block_bytes = two_stage->layout.block_bytes();
  } else {
    c = search::load_config(bytes);
    block_bytes = c.block_bytes();
  }
  if (s.config().block_bytes != block_bytes || s.config().slots_per_block != c.n) {
    throw std::runtime_error("store geometry does not match its search configuration");
  }
  OpenGallery g{std::move(s), c, two_stage, nullptr};
  if (two_stage && need_model == NeedModel::kYes) g.model = load_store_model(dir, *two_stage);
  return g;
}

namespace {

// Rows `keep` of `q`, in that order.
search::QuantizedRows select_rows(const search::QuantizedRows& q,
                                  const std::vector<std::size_t>& keep) {
  search::QuantizedRows out{.rows = keep.size(), .dimension = q.dimension, .values = {}};
  out.values.reserve(keep.size() * q.dimension);
  for (std::size_t i : keep) out.values.insert(out.values.end(), q.row(i).begin(), q.row(i).end());
  return out;
}

// A new two-stage store's model, or the one given for an existing store
// (checked against it; written back when its file is missing).
std::shared_ptr<const reduce::Reducer> two_stage_model(OpenGallery& g, const fs::path& dir,
                                                       const EnrollOptions& o) {
  if (!g.two_stage) {
    throw std::runtime_error(dir.string() +
                             " is a single-stage gallery: --reduce applies only when a store "
                             "is created");
  }
  if (!o.reduce_model) return load_store_model(dir, *g.two_stage);
  std::shared_ptr<const reduce::Reducer> m = reduce::read_model(*o.reduce_model);
  try {
    reduce::check_model(*g.two_stage, *m);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(o.reduce_model->string() + ": " + e.what());
  }
  if (model_problem(dir, *g.two_stage)) reduce::write_model(dir / kModelFileName, *m);
  return m;
}

}  // namespace

EnrollResult enroll(const fs::path& store_dir, const KeyDir& keys, const EnrollInput& in,
                    const EnrollOptions& o) {
  EnrollResult result;
  auto t0 = Clock::now();
  const data::Matrix& matrix = in.embeddings;
  const std::size_t rows = matrix.rows, d = matrix.cols;
  const std::string& source = in.source;
  // Ids and labels are clean text (valid UTF-8, no control characters) and
  // ids are unique, checked before anything is stored (the store checks
  // again; callers reading files name lines first).
  check_enroll_input(in);
  std::vector<std::string> ids = in.ids, labels = in.labels;

  if (o.reduce_model && (o.public_key || o.public_probes)) {
    throw std::runtime_error(
        "--reduce makes a two-stage gallery, which needs the secret key for enrollment and "
        "probes (the key holder re-scores the candidates); leave out --public-key and "
        "--public-probes");
  }
  std::optional<OpenGallery> g;  // an existing store
  struct NewStore {
    store::StoreConfig store;
    search::SearchConfig config;
    std::optional<reduce::TwoStageConfig> two_stage;
  };
  std::optional<NewStore> planned;  // or the one to create
  std::shared_ptr<const reduce::Reducer> model;
  if (store_exists(store_dir)) {
    g.emplace(open_gallery(store_dir, store::Mode::kReadWrite, NeedModel::kNo));
    if (g->two_stage || o.reduce_model) model = two_stage_model(*g, store_dir, o);
    if (g->dimension() != d) {
      throw std::runtime_error("the gallery holds templates of dimension " +
                               std::to_string(g->dimension()) + "; " + source + " has dimension " +
                               std::to_string(d));
    }
    if (g->two_stage && o.public_key) {
      throw std::runtime_error(
          "a two-stage gallery is enrolled with the secret key, not --public-key");
    }
  } else {
    using search::Encryption;
    std::vector<std::uint8_t> config_bytes;
    search::SearchConfig c;
    std::optional<reduce::TwoStageConfig> ts;
    std::size_t block_bytes = 0;
    if (o.reduce_model) {
      model = reduce::read_model(*o.reduce_model);
      if (model->input_dim() != d) {
        throw std::runtime_error(o.reduce_model->string() + " reduces " +
                                 std::to_string(model->input_dim()) + "-d templates; " + source +
                                 " has dimension " + std::to_string(d));
      }
      c = config_for(model->output_dim(), Encryption::kSecretKey, Encryption::kSecretKey);
      ts = reduce::make_two_stage_config(c, *model);
      config_bytes = reduce::save_two_stage_config(*ts, keys.ctx->id());
      block_bytes = ts->layout.block_bytes();
    } else {
      c = config_for(d, o.public_key ? Encryption::kPublicKey : Encryption::kSecretKey,
                     o.public_probes ? Encryption::kPublicKey : Encryption::kSecretKey);
      config_bytes = search::save_config(c, keys.ctx->id());
      block_bytes = c.block_bytes();
    }
    // Created only once every row has been checked (below).
    planned.emplace(NewStore{store::StoreConfig{.param_id = keys.ctx->id(),
                                                .block_bytes = block_bytes,
                                                .slots_per_block = static_cast<std::uint32_t>(c.n),
                                                .search_config = std::move(config_bytes),
                                                .key_id = keys.key_id},
                             c, ts});
  }
  const search::SearchConfig& config = g ? g->config : planned->config;
  const std::optional<reduce::TwoStageConfig>& two_stage = g ? g->two_stage : planned->two_stage;
  result.two_stage = two_stage.has_value();
  if (g) require_same_keys(*g, keys, "nothing was added");
  std::vector<std::size_t> keep;
  for (std::size_t i = 0; i < rows; ++i) {
    if (!g || !g->store.find(ids[i])) {
      keep.push_back(i);
    } else if (!o.skip_existing) {
      throw std::runtime_error("id '" + ids[i] +
                               "' is already enrolled; nothing was added (--skip-existing resumes "
                               "an interrupted enrollment)");
    } else {
      ++result.skipped;
    }
  }
  std::vector<std::string> kept_ids, kept_labels;
  for (std::size_t i : keep) {
    kept_ids.push_back(ids[i]);
    if (!labels.empty()) kept_labels.push_back(labels[i]);
  }
  ids = std::move(kept_ids);
  labels = std::move(kept_labels);
  const std::size_t todo = keep.size();
  // Every row is checked (finite, non-zero; reducible) before anything is
  // encrypted, so bad input adds nothing.
  std::function<void(std::size_t, std::size_t, std::span<std::uint8_t>, std::size_t)> encrypt;
  std::size_t block_bytes = 0;
  std::optional<search::GalleryEncryptor> enc;
  std::optional<reduce::TwoStageEnroller> two;
  std::optional<reduce::TwoStageRows> prepared;
  search::QuantizedRows q;
  if (two_stage) {
    if (!keys.sk) throw std::runtime_error("enrolling a two-stage gallery needs secret.key");
    two.emplace(two_stage->layout, keys.ctx, *keys.sk, model);
    reduce::TwoStageRows all;
    try {
      all = two->prepare(matrix);  // rows numbered as in the input file
    } catch (const search::InputError& e) {
      throw std::runtime_error(source + ": " + e.what());
    }
    prepared.emplace(
        reduce::TwoStageRows{select_rows(all.full, keep), select_rows(all.coarse, keep)});
    block_bytes = two_stage->layout.block_bytes();
    encrypt = [&](std::size_t first, std::size_t count, std::span<std::uint8_t> out,
                  std::size_t threads) {
      two->encrypt_block(*prepared, first, count, out, threads);
    };
  } else {
    try {
      // Every row, before --skip-existing selects: errors name the row of
      // the input file.
      q = select_rows(search::quantize_rows(matrix.values, d, config.quant_scale), keep);
    } catch (const search::InputError& e) {
      throw std::runtime_error(source + ": " + e.what());
    }
    if (o.public_key) {
      if (!keys.gallery_pk) throw std::runtime_error("--public-key needs gallery.pub");
      enc.emplace(config, keys.ctx, *keys.gallery_pk);
    } else {
      if (!keys.sk) throw std::runtime_error("enrolling with the secret key needs secret.key");
      enc.emplace(config, keys.ctx, *keys.sk);
    }
    block_bytes = config.block_bytes();
    encrypt = [&](std::size_t first, std::size_t count, std::span<std::uint8_t> out,
                  std::size_t threads) {
      const search::Words w = enc->encrypt_block(q, first, count, threads);
      std::memcpy(out.data(), w.data(), out.size());
    };
  }
  if (planned) {
    g.emplace(OpenGallery{store::GalleryStore::create(store_dir, planned->store), planned->config,
                          planned->two_stage, model});
    // Before any block: a crash here leaves an empty store whose model
    // file `enroll --reduce` writes again.
    if (model) reduce::write_model(store_dir / kModelFileName, *model);
    result.created = true;
  }
  const std::size_t threads = o.threads ? o.threads : search::default_threads();
  const std::size_t n = g->config.n;
  const std::size_t total_blocks = (todo + n - 1) / n;
  for (std::size_t b0 = 0; b0 < total_blocks; b0 += o.blocks_per_append) {
    const std::size_t b1 = std::min(total_blocks, b0 + o.blocks_per_append);
    std::vector<std::vector<std::uint8_t>> bytes;
    std::vector<store::BlockInput> inputs;
    for (std::size_t b = b0; b < b1; ++b) {
      const std::size_t first = b * n, count = std::min(n, todo - first);
      bytes.emplace_back(block_bytes);
      encrypt(first, count, bytes.back(), threads);
      store::BlockInput in;
      in.bytes = bytes.back();
      in.ids.assign(ids.begin() + first, ids.begin() + first + count);
      if (!labels.empty()) in.labels.assign(labels.begin() + first, labels.begin() + first + count);
      inputs.push_back(std::move(in));
    }
    g->store.append(inputs, keys.key_id);  // durable when it returns
    result.blocks += b1 - b0;
    result.templates = std::min(todo, b1 * n);
    if (o.progress) o.progress(result.templates, todo);
  }
  result.seconds = ms_since(t0) / 1e3;
  return result;
}

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
