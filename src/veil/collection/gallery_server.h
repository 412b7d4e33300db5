// The server role: one gallery store and the key set's expansion.keys; no
// secret key. It appends the encrypted blocks clients send, turns encrypted
// probes into encrypted scores, and hands the key holder its slot table.
// Safe to call from several threads: searches run side by side, changes
// (append, remove, compact) one at a time and never during a search.
#pragma once

#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <span>

#include "veil/collection/gallery.h"
#include "veil/collection/wire.h"
#include "veil/rlwe/objects.h"
#include "veil/search/server.h"

namespace veil::collection {

struct AppendResult {
  std::size_t templates = 0, blocks = 0;
  std::size_t skipped_blocks = 0;
};

class GalleryServer {
 public:
  // Opens the store in `dir` for reading and writing. The store must belong
  // to key set `key_id` (whose expansion keys these are). A two-stage
  // store is scanned at its stage-1 blocks and answers stage-2 row requests
  // (gather); its model file must match the config (it is served to
  // clients, which reduce their probes with it).
  GalleryServer(const std::filesystem::path& dir, rlwe::ContextPtr ctx,
                const rlwe::GaloisKeys& expansion, const io::KeyId& key_id, std::size_t threads);

  const search::SearchConfig& config() const { return g_.config; }  // stage 1 if two-stage
  const std::optional<reduce::TwoStageConfig>& two_stage() const { return g_.two_stage; }
  // A two-stage store's reduction model file, as stored.
  const std::vector<std::uint8_t>& model_bytes() const { return model_bytes_; }
  // The gallery's template dimension (the full one when two-stage).
  std::size_t dimension() const { return g_.dimension(); }
  const store::StoreConfig& store_config() const { return g_.store.config(); }

  // A SearchQuery envelope in, a SearchResponse envelope out. Throws
  // io::FormatError / rlwe::MismatchError (malformed, another parameter set
  // or dimension) and KeyMismatchError (another key set).
  std::vector<std::uint8_t> search(std::span<const std::uint8_t> probe,
                                   search::ScanTimings* timings = nullptr) const;
  // The same in two steps, for callers that gather probes: parse_probe
  // checks one (format, dimension, key set) and search_batch scans the
  // gallery once for all of them (response i is the one of probes[i]).
  search::EncryptedProbe parse_probe(std::span<const std::uint8_t> probe) const;
  std::vector<std::vector<std::uint8_t>> search_batch(
      std::span<const search::EncryptedProbe> probes, search::ScanTimings* timings = nullptr) const;

  // Two-stage stage 2: a CandidateRequest envelope (search/rerank_wire.h)
  // in, the CandidateRows envelope with those rows out. io::FormatError for
  // a malformed request or a slot beyond the gallery; std::logic_error for a
  // single-stage gallery.
  std::vector<std::uint8_t> gather(std::span<const std::uint8_t> request) const;

  // GalleryBatch envelopes (wire.h), all checked (format, key set, size,
  // ids) before any is stored; durable when it returns. A refused append
  // adds nothing.
  // With skip_enrolled, a block whose ids are all enrolled already (a
  // retried stream) is left out; one with only some of them is refused.
  AppendResult append(std::span<const std::vector<std::uint8_t>> blocks,
                      bool skip_enrolled = false);
  std::size_t remove(std::span<const std::string> ids);
  store::CompactReport compact();
  store::InfoReport info() const;
  store::VerifyReport verify() const;
  std::size_t live_count() const;

  // The current table (made once per change of the store).
  std::shared_ptr<const SlotTable> slot_table() const;

 private:
  void refresh_blocks();  // under the exclusive lock
  OpenGallery g_;
  std::vector<std::uint8_t> model_bytes_;
  search::SearchServer server_;
  mutable std::shared_mutex mutex_;
  std::vector<const std::uint32_t*> blocks_;
  mutable std::mutex table_mutex_;
  mutable std::shared_ptr<const SlotTable> table_;
};

// Creates an empty single-stage store in `dir` for templates of `dimension`
// under key set `key_id` (fails if one exists). Third-party enrollment
// (gallery.pub) and public-key probes as asked.
void create_gallery(const std::filesystem::path& dir, const rlwe::Context& ctx,
                    const io::KeyId& key_id, std::size_t dimension, bool public_key_enroll,
                    bool public_key_probes);

// The same for a two-stage gallery reduced by `model` (reduce::save_model
// bytes; its input dimension is the templates'): enrolled with the secret
// key, probes encrypted with public.key when asked. The model is written
// beside the blocks.
void create_two_stage_gallery(const std::filesystem::path& dir, const rlwe::Context& ctx,
                              const io::KeyId& key_id, std::span<const std::uint8_t> model,
                              bool public_key_probes);

}  // namespace veil::collection
