// The pieces the gallery commands share: opening a store with its search
// configuration, enrolling embeddings into it, and searching it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "key_files.h"
#include "veil/search/config.h"
#include "veil/search/key_holder.h"
#include "veil/search/probe.h"
#include "veil/search/server.h"
#include "veil/store/gallery_store.h"

namespace veil::apps {

struct OpenGallery {
  store::GalleryStore store;
  search::SearchConfig config;
};

OpenGallery open_gallery(const std::filesystem::path& dir, store::Mode mode);

struct EnrollOptions {
  std::filesystem::path input;
  std::optional<std::filesystem::path> ids_file, labels_file;
  bool public_key = false;     // enroll as a third party (needs a public-key gallery)
  bool public_probes = false;  // new store only: probes will be public-key encrypted
  bool skip_existing = false;  // resume: leave out ids already enrolled instead of failing
  std::size_t blocks_per_append = 4;
  std::size_t threads = 0;
  bool quiet = false;
};

struct EnrollResult {
  std::size_t templates = 0, blocks = 0, skipped = 0;
  double seconds = 0;
  bool created = false;
};

EnrollResult enroll(const std::filesystem::path& store_dir, const KeyDir& keys,
                    const EnrollOptions& o);

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
};

// The three parties over one open gallery, set up once (expansion tables,
// the gallery secrets, the block pointers) and reused per probe.
class GallerySearcher {
 public:
  GallerySearcher(const OpenGallery& g, const KeyDir& keys, std::size_t threads);
  // One probe row through the whole protocol (client -> server -> key
  // holder), serialised at each hop as it would travel. `threshold` (cosine)
  // replaces top-k with every match at or above it.
  SearchResult search(const float* probe, std::size_t k, std::optional<double> threshold) const;

 private:
  const OpenGallery& g_;
  const KeyDir& keys_;
  std::size_t threads_;
  search::ProbeEncryptor client_;
  search::SearchServer server_;
  search::ScoreDecryptor key_holder_;
  std::vector<const std::uint32_t*> blocks_;
};

}  // namespace veil::apps
