// Galleries through the library API: opening a store with its search
// configuration, enrolling embeddings into it, and searching it (the three
// parties in one process; docs/api.md has an example).
//
// A store is single-stage (search_config = a SearchConfig envelope) or
// two-stage (a reduce::TwoStageConfig envelope: each block holds the reduced
// templates for stage 1 and the full ones as rows for stage 2, and the
// reduction model lives beside the blocks in `reduction.model`, checked
// against the fingerprint in the config every time the store is opened).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "veil/collection/client.h"
#include "veil/collection/key_holder.h"
#include "veil/collection/keys.h"
#include "veil/data/matrix.h"
#include "veil/reduce/model.h"
#include "veil/reduce/two_stage.h"
#include "veil/reduce/two_stage_config.h"
#include "veil/search/config.h"
#include "veil/search/key_holder.h"
#include "veil/search/probe.h"
#include "veil/search/server.h"
#include "veil/store/gallery_store.h"

namespace veil::collection {

// The two-stage gallery's reduction model, in the store directory.
inline constexpr const char* kModelFileName = "reduction.model";

struct OpenGallery {
  store::GalleryStore store;
  search::SearchConfig config;  // stage 1 of a two-stage gallery
  std::optional<reduce::TwoStageConfig> two_stage;
  // Two-stage galleries opened with the model: the store's reduction model.
  std::shared_ptr<const reduce::Reducer> model;
  // What templates and probes must have: the full dimension.
  std::size_t dimension() const {
    return two_stage ? two_stage->layout.rows.dimension : config.dimension;
  }
};

enum class NeedModel { kYes, kNo };

// Refuses (std::runtime_error naming both fingerprints and ending with
// `consequence`) keys of another parameter set or key set than the gallery's.
void require_same_keys(const OpenGallery& g, const KeyDir& keys, const std::string& consequence);

// With NeedModel::kYes a two-stage store's model file must be present and
// match its fingerprint (a clear error otherwise).
OpenGallery open_gallery(const std::filesystem::path& dir, store::Mode mode,
                         NeedModel need_model = NeedModel::kYes);

// A two-stage store's model, checked against the config's fingerprint; a
// std::runtime_error saying what is wrong otherwise.
std::shared_ptr<const reduce::Reducer> load_store_model(const std::filesystem::path& dir,
                                                        const reduce::TwoStageConfig& c);

// A two-stage store's model file checked against the store: nullopt when it
// is sound, else what is wrong.
std::optional<std::string> model_problem(const std::filesystem::path& dir,
                                         const reduce::TwoStageConfig& c);

// What to enroll: EnrollInput (client.h).
struct EnrollOptions {
  bool public_key = false;     // enroll as a third party (needs a public-key gallery)
  bool public_probes = false;  // new store only: probes will be public-key encrypted
  // New store: a two-stage gallery reduced by this model. Existing
  // two-stage store: must be its model (and restores a missing model file).
  std::optional<std::filesystem::path> reduce_model;
  bool skip_existing = false;  // resume: leave out ids already enrolled instead of failing
  std::size_t blocks_per_append = 4;
  std::size_t threads = 0;
  // Called after each durable append: templates enrolled so far, of how many.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

struct EnrollResult {
  std::size_t templates = 0, blocks = 0, skipped = 0;
  double seconds = 0;
  bool created = false;
  bool two_stage = false;
};

// Encrypts `in` (secret key, or gallery.pub with public_key) and appends it
// to the store in `store_dir`, creating the store if there is none. Every
// row is checked before anything is written; a refused enrollment changes
// nothing (and creates no store).
EnrollResult enroll(const std::filesystem::path& store_dir, const KeyDir& keys,
                    const EnrollInput& in, const EnrollOptions& o);

struct Hit {
  std::size_t rank;
  std::string id, label;
  std::int64_t score;  // exact integer inner product of the quantised vectors
  double cosine;       // score / scale^2
};

struct SearchResult {
  std::vector<Hit> hits;
  // prepare_ms: the key holder's probe key from the expansion (in one
  // process it reuses the server's; in a deployment it expands the probe
  // itself, off the critical path, while the server scans).
  double expand_ms = 0, scan_ms = 0, reduce_ms = 0, prepare_ms = 0, key_holder_ms = 0;
  std::size_t probe_bytes = 0, response_bytes = 0;
  // Two-stage galleries: K, the server's gather of the K rows, the key
  // holder's decryption and re-scoring of them, and their message sizes.
  std::size_t candidates = 0;
  double gather_ms = 0, rescore_ms = 0;
  std::size_t request_bytes = 0, rows_bytes = 0;
};

// One probe through a gallery (single- or two-stage).
class Searcher {
 public:
  virtual ~Searcher() = default;
  // `threshold` (cosine) replaces top-k with every match at or above it.
  virtual SearchResult search(const float* probe, std::size_t k,
                              std::optional<double> threshold) const = 0;
};

// The three parties over one open gallery, set up once (expansion tables,
// the gallery secrets, the block pointers) and reused per probe.
class GallerySearcher : public Searcher {
 public:
  GallerySearcher(const OpenGallery& g, const KeyDir& keys, std::size_t threads);
  // One probe row through the whole protocol (client -> server -> key
  // holder), serialised at each hop as it would travel.
  SearchResult search(const float* probe, std::size_t k,
                      std::optional<double> threshold) const override;

 private:
  const OpenGallery& g_;
  const KeyDir& keys_;
  Client client_;
  search::SearchServer server_;
  KeyHolder key_holder_;
  std::vector<const std::uint32_t*> blocks_;
};

// Two-stage: stage 1 over the reduced templates, the key holder asks for
// the best `candidates` (K) slots, re-scores them with the full templates.
class TwoStageGallerySearcher : public Searcher {
 public:
  TwoStageGallerySearcher(const OpenGallery& g, const KeyDir& keys, std::size_t candidates,
                          std::size_t threads);
  SearchResult search(const float* probe, std::size_t k,
                      std::optional<double> threshold) const override;

 private:
  const OpenGallery& g_;
  std::size_t candidates_;
  std::unique_ptr<reduce::TwoStageSearcher> searcher_;
};

// The searcher the gallery needs. `candidates` (K) applies to two-stage
// galleries only (a single-stage gallery given one is an error).
std::unique_ptr<Searcher> make_searcher(const OpenGallery& g, const KeyDir& keys,
                                        std::optional<std::size_t> candidates, std::size_t threads);

// K when `veil search` is not given --candidates.
inline constexpr std::size_t kDefaultCandidates = 1000;

}  // namespace veil::collection
