#include "gallery.h"

#include <chrono>
#include <cmath>
#include <iostream>
#include <set>

#include "veil/data/embeddings.h"
#include "veil/data/text.h"
#include "veil/search/enroll.h"
#include "veil/search/parallel.h"
#include "veil/search/probe.h"
#include "veil/search/quantize.h"
#include "veil/search/server.h"

namespace veil::apps {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
bool store_exists(const fs::path& dir) { return fs::exists(dir / "manifest.json"); }
}  // namespace

OpenGallery open_gallery(const fs::path& dir, store::Mode mode) {
  if (!store_exists(dir))
    throw std::runtime_error(dir.string() + " is not a gallery store (no manifest.json)");
  store::GalleryStore s = store::GalleryStore::open(dir, mode);
  search::SearchConfig c = search::load_config(s.config().search_config);
  if (s.config().block_bytes != c.block_bytes() || s.config().slots_per_block != c.n) {
    throw std::runtime_error("store geometry does not match its search configuration");
  }
  return {std::move(s), c};
}

EnrollResult enroll(const fs::path& store_dir, const KeyDir& keys, const EnrollOptions& o) {
  EnrollResult result;
  auto t0 = Clock::now();
  data::Embeddings emb = data::read_embeddings(o.input, {.csv_id_column = false});
  const std::size_t rows = emb.matrix.rows, d = emb.matrix.cols;
  if (rows == 0) throw std::runtime_error(o.input.string() + " holds no embeddings");
  std::vector<std::string> ids, labels;
  if (o.ids_file) {
    ids = data::read_labels_txt(*o.ids_file);
  } else {
    for (std::size_t i = 0; i < rows; ++i)
      ids.push_back(o.input.stem().string() + ":" + std::to_string(i));
  }
  if (ids.size() != rows) {
    throw std::runtime_error("--ids has " + std::to_string(ids.size()) + " lines for " +
                             std::to_string(rows) + " embeddings");
  }
  if (o.labels_file) {
    labels = data::read_labels_txt(*o.labels_file);
    if (labels.size() != rows) {
      throw std::runtime_error("--labels has " + std::to_string(labels.size()) + " lines for " +
                               std::to_string(rows) + " embeddings");
    }
  }
  std::set<std::string> seen;
  for (const auto& id : ids) {
    if (!seen.insert(id).second)
      throw std::runtime_error("id '" + id + "' appears twice in the input");
  }

  std::optional<OpenGallery> g;
  if (store_exists(store_dir)) {
    g.emplace(open_gallery(store_dir, store::Mode::kReadWrite));
    if (g->config.dimension != d) {
      throw std::runtime_error("the gallery holds templates of dimension " +
                               std::to_string(g->config.dimension) + "; " + o.input.string() +
                               " has dimension " + std::to_string(d));
    }
  } else {
    using search::Encryption;
    search::SearchConfig c =
        config_for(d, o.public_key ? Encryption::kPublicKey : Encryption::kSecretKey,
                   o.public_probes ? Encryption::kPublicKey : Encryption::kSecretKey);
    store::StoreConfig sc{.param_id = keys.ctx->id(),
                          .block_bytes = c.block_bytes(),
                          .slots_per_block = static_cast<std::uint32_t>(c.n),
                          .search_config = search::save_config(c, keys.ctx->id())};
    g.emplace(OpenGallery{store::GalleryStore::create(store_dir, sc), c});
    result.created = true;
  }
  if (g->store.config().param_id != keys.ctx->id()) {
    throw std::runtime_error("the gallery was made with other keys (parameter set " +
                             std::to_string(g->store.config().param_id) + ")");
  }
  // Validates every row (finite, non-zero) before anything is encrypted.
  search::QuantizedRows all = search::quantize_rows(emb.matrix.values, d, g->config.quant_scale);
  search::QuantizedRows q{.rows = 0, .dimension = d, .values = {}};
  std::vector<std::string> kept_ids, kept_labels;
  for (std::size_t i = 0; i < rows; ++i) {
    if (g->store.find(ids[i])) {
      if (!o.skip_existing) {
        throw std::runtime_error(
            "id '" + ids[i] +
            "' is already enrolled; nothing was added (--skip-existing resumes an "
            "interrupted enrollment)");
      }
      ++result.skipped;
      continue;
    }
    q.values.insert(q.values.end(), all.row(i).begin(), all.row(i).end());
    ++q.rows;
    kept_ids.push_back(ids[i]);
    if (!labels.empty()) kept_labels.push_back(labels[i]);
  }
  ids = std::move(kept_ids);
  labels = std::move(kept_labels);
  const std::size_t todo = q.rows;
  std::optional<search::GalleryEncryptor> enc;
  if (o.public_key) {
    if (!keys.gallery_pk) throw std::runtime_error("--public-key needs gallery.pub");
    enc.emplace(g->config, keys.ctx, *keys.gallery_pk);
  } else {
    if (!keys.sk) throw std::runtime_error("enrolling with the secret key needs secret.key");
    enc.emplace(g->config, keys.ctx, *keys.sk);
  }
  const std::size_t threads = o.threads ? o.threads : search::default_threads();
  const std::size_t n = g->config.n;
  const std::size_t total_blocks = (todo + n - 1) / n;
  for (std::size_t b0 = 0; b0 < total_blocks; b0 += o.blocks_per_append) {
    const std::size_t b1 = std::min(total_blocks, b0 + o.blocks_per_append);
    std::vector<search::Words> words;
    std::vector<store::BlockInput> inputs;
    for (std::size_t b = b0; b < b1; ++b) {
      const std::size_t first = b * n, count = std::min(n, todo - first);
      words.push_back(enc->encrypt_block(q, first, count, threads));
      store::BlockInput in;
      in.bytes = {reinterpret_cast<const std::uint8_t*>(words.back().data()),
                  words.back().size() * 4};
      in.ids.assign(ids.begin() + first, ids.begin() + first + count);
      if (!labels.empty()) in.labels.assign(labels.begin() + first, labels.begin() + first + count);
      inputs.push_back(std::move(in));
    }
    g->store.append(inputs);  // durable when it returns
    result.blocks += b1 - b0;
    result.templates = std::min(todo, b1 * n);
    if (!o.quiet) {
      std::cerr << "\renrolled " << result.templates << "/" << todo << " templates ("
                << result.blocks << "/" << total_blocks << " blocks)" << std::flush;
    }
  }
  if (!o.quiet) std::cerr << "\n";
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
  if (g.store.config().param_id != keys.ctx->id())
    throw std::runtime_error("the gallery was made with other keys");
  return g;
}
}  // namespace

GallerySearcher::GallerySearcher(const OpenGallery& g, const KeyDir& keys, std::size_t threads)
    : g_(same_keys(g, keys)),
      keys_(keys),
      threads_(threads),
      client_(g.config, keys.ctx, need_secret(keys)),
      server_(g.config, keys.ctx, need_expansion(keys), threads),
      key_holder_(g.config, keys.ctx, need_secret(keys)) {
  g.store.advise_sequential();
  for (std::size_t b = 0; b < g.store.block_count(); ++b) {
    blocks_.push_back(reinterpret_cast<const std::uint32_t*>(g.store.block(b).data()));
  }
}

SearchResult GallerySearcher::search(const float* probe, std::size_t k,
                                     std::optional<double> threshold) const {
  const search::SearchConfig& c = g_.config;
  const KeyDir& keys = keys_;
  SearchResult r;
  // Client: quantise and encrypt one compact probe.
  search::QuantizedRows q = search::quantize_rows({probe, c.dimension}, c.dimension, c.quant_scale);
  std::vector<std::uint8_t> wire = search::save_probe(c, *keys.ctx, client_.encrypt(q.row(0)));
  r.probe_bytes = wire.size();
  // Server: expand, scan the memory-mapped blocks, switch down.
  search::ScanTimings tm;
  auto t0 = Clock::now();
  const search::Words expanded = server_.expand(search::load_probe(c, *keys.ctx, wire));
  tm.expand_s = ms_since(t0) / 1e3;
  search::EncryptedScores scores = server_.score(expanded, blocks_, &tm);
  std::vector<std::uint8_t> response = search::save_scores(c, scores);
  r.response_bytes = response.size();
  r.expand_ms = tm.expand_s * 1e3;
  r.scan_ms = tm.scan_s * 1e3;
  r.reduce_ms = tm.reduce_s * 1e3;
  // Key holder: the probe key from the probe's expansion, then decrypt,
  // rank, map slots to ids. In a deployment the key holder expands the probe
  // itself (the same deterministic computation, while the server scans);
  // here both roles share one process, so it takes the expansion once made.
  t0 = Clock::now();
  search::ProbeKey probe_key = key_holder_.prepare(expanded, threads_);
  r.prepare_ms = ms_since(t0);
  t0 = Clock::now();
  std::vector<std::int64_t> all =
      key_holder_.decrypt(search::load_scores(c, keys.ctx->id(), response), probe_key, threads_);
  const std::size_t n = c.n;
  auto live = [&](std::size_t i) {
    return g_.store.slot(i / n, static_cast<std::uint32_t>(i % n)).has_value();
  };
  const double unit = static_cast<double>(c.quant_scale) * c.quant_scale;
  std::vector<search::Match> matches;
  if (threshold) {
    matches =
        search::above_threshold(all, static_cast<std::int64_t>(std::ceil(*threshold * unit)), live);
  } else {
    matches = search::top_k(all, k, live);
  }
  r.key_holder_ms = ms_since(t0);
  for (std::size_t i = 0; i < matches.size(); ++i) {
    auto info =
        g_.store.slot(matches[i].index / n, static_cast<std::uint32_t>(matches[i].index % n));
    r.hits.push_back({i + 1, info->id, info->label, matches[i].score, matches[i].score / unit});
  }
  return r;
}

}  // namespace veil::apps
