// The client role: holds keys (the key owner's secret.key, or a capture
// device's public.key and gallery.pub), encrypts probes and templates, and
// opens the key holder's sealed answers (wire.h). It never holds a gallery.
#pragma once

#include <functional>
#include <memory>
#include <span>

#include "veil/collection/keys.h"
#include "veil/collection/wire.h"
#include "veil/data/matrix.h"
#include "veil/reduce/model.h"
#include "veil/reduce/two_stage_config.h"
#include "veil/search/config.h"

namespace veil::collection {

// What to enroll: the rows of `embeddings` under `ids` (one per row: clean
// text, unique), and `labels` (empty, or one per row). `source` names the
// input in messages (a file path, or "the input").
struct EnrollInput {
  data::Matrix embeddings;
  std::vector<std::string> ids, labels;
  std::string source = "the input";
};

// Ids and labels of `in` checked as the store will (clean text, unique ids,
// one label per id or none) and the matrix non-empty: std::runtime_error
// naming `in.source` and the row otherwise.
void check_enroll_input(const EnrollInput& in);

class Client {
 public:
  explicit Client(const KeyDir& keys) : keys_(keys) {}
  const KeyDir& keys() const { return keys_; }

  // A two-stage gallery's probe: the reduced probe encrypted for stage 1
  // (a SearchQuery envelope), and the full one quantised for stage 2 and
  // sealed to the key holder's seal key (sealed_probe.h). `model` must be
  // the gallery's (reduce::check_model).
  struct TwoStageProbe {
    std::vector<std::uint8_t> probe, sealed_full;
  };
  TwoStageProbe encrypt_two_stage_probe(const reduce::TwoStageConfig& c,
                                        const reduce::Reducer& model, std::span<const float> probe,
                                        std::span<const std::uint8_t> seal_key) const;

  // One probe of c.dimension floats, quantised and encrypted (secret key
  // when the client has it, else public.key) as a SearchQuery envelope.
  std::vector<std::uint8_t> encrypt_probe(const search::SearchConfig& c,
                                          std::span<const float> probe) const;

  // Every row of `in` checked (check_enroll_input, finite and non-zero
  // rows, dimension c.dimension) before the first block is encrypted, then
  // `sink` gets the GalleryBatch envelopes (wire.h) of c.n rows each, in order.
  // Secret key for a secret-key gallery, gallery.pub for a public-key one.
  void encrypt_blocks(const search::SearchConfig& c, const EnrollInput& in, std::size_t threads,
                      const std::function<void(std::vector<std::uint8_t>&&)>& sink) const;
  // The same for a two-stage gallery (secret key only): each block holds
  // the reduced templates for stage 1 and the full ones as stage-2 rows.
  void encrypt_two_stage_blocks(const reduce::TwoStageConfig& c,
                                std::shared_ptr<const reduce::Reducer> model, const EnrollInput& in,
                                std::size_t threads,
                                const std::function<void(std::vector<std::uint8_t>&&)>& sink) const;

 private:
  std::vector<std::uint8_t> encrypt_quantized(const search::SearchConfig& c,
                                              std::span<const std::int16_t> q) const;
  const KeyDir& keys_;
};

}  // namespace veil::collection
