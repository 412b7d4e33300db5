// The client role: holds keys (the key owner's secret.key, or a capture
// device's public.key and gallery.pub), encrypts probes and templates, and
// opens the key holder's sealed answers (wire.h). It never holds a gallery.
#pragma once

#include <functional>
#include <span>

#include "veil/collection/keys.h"
#include "veil/collection/wire.h"
#include "veil/data/matrix.h"
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

 private:
  const KeyDir& keys_;
};

}  // namespace veil::collection
