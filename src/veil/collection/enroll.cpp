// collection::enroll (gallery.h): encrypt and append, creating the store
// when there is none. Apart from opening (gallery.cpp) so that a server
// that opens stores does not link the enrollment and key-holder code.
#include "veil/search/enroll.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>

#include "veil/collection/client.h"
#include "veil/collection/gallery.h"
#include "veil/io/elapsed.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/io/text_check.h"
#include "veil/rlwe/errors.h"
#include "veil/search/parallel.h"
#include "veil/search/probe.h"
#include "veil/search/quantize.h"
#include "veil/search/server.h"

namespace veil::collection {

namespace fs = std::filesystem;
namespace {
using Clock = std::chrono::steady_clock;
using io::ms_since;
bool store_exists(const fs::path& dir) { return fs::exists(dir / "manifest.json"); }
}  // namespace

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
    // A two-stage store appears with its model file.
    std::vector<store::GalleryStore::SideFile> side;
    if (model) side.push_back({kModelFileName, reduce::save_model(*model)});
    g.emplace(OpenGallery{store::GalleryStore::create(store_dir, planned->store, side),
                          planned->config, planned->two_stage, model});
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

}  // namespace veil::collection
