// The three parties of an encrypted table lookup (table_layout.h):
//   TableEncryptor  the data owner: rows into encrypted blocks (secret key)
//   TableServer     expands a grouped probe, scans the blocks, masks every
//                   coefficient that is not a table entry (no secret)
//   TableDecryptor  the key holder: its own expansion of the probe, then the
//                   table entries, exact integers <q~, x~_k>
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "veil/ann/table_layout.h"
#include "veil/io/key_id.h"
#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"
#include "veil/search/config.h"
#include "veil/search/enroll.h"
#include "veil/search/key_holder.h"
#include "veil/search/probe.h"
#include "veil/search/server.h"

namespace veil::ann {

// The scan configuration of tables laid out by `layout`: SearchConfig::derive
// for the padded vector dimension (noise bound, scale, encoding factors), then
// narrowed to layout.groups (block width, expansion levels). The grouped scan
// has no more noise than the derivation assumed: the same d probe-by-gallery
// noise terms, fewer expansion levels and fewer gallery-noise-by-probe-noise
// terms (docs/ann.md). Throws rlwe::ParameterError if no encoding fits.
search::SearchConfig table_scan_config(const TableLayout& layout);

// round(scale * x / bound) for rows of L2 norm at most `bound` (so every row
// is a vector of norm <= 1 at that scale, the bound the config assumes).
// Throws search::InputError naming the first row that is not finite or whose
// norm exceeds the bound; nothing is returned then.
search::QuantizedRows quantize_bounded(std::span<const float> values, std::size_t dimension,
                                       double bound, std::uint32_t scale);

class TableEncryptor {
 public:
  TableEncryptor(const search::SearchConfig& config, const TableLayout& layout,
                 rlwe::ContextPtr ctx, const rlwe::SecretKey& sk);
  // Every row of `rows`, layout.slots() per block, in order.
  std::vector<search::Words> encrypt(const search::QuantizedRows& rows, std::size_t threads) const;

 private:
  TableLayout layout_;
  search::GalleryEncryptor encryptor_;
};

class TableServer {
 public:
  TableServer(const search::SearchConfig& config, const TableLayout& layout, rlwe::ContextPtr ctx,
              rlwe::GaloisKeys keys, const io::KeyId& key_id, std::size_t threads = 0);
  // The tables of one probe over `blocks` (block b's first `rows_in(b)`
  // coefficients positions are entries; every other coefficient of x0 gets a
  // fresh uniform value mod the response prime).
  search::EncryptedScores evaluate(const search::EncryptedProbe& probe,
                                   std::span<const std::uint32_t* const> blocks,
                                   search::ScanTimings* timings = nullptr) const;
  const search::SearchServer& scan() const { return server_; }

 private:
  TableLayout layout_;
  search::SearchServer server_;
  std::vector<std::uint8_t> is_entry_;  // per coefficient: 1 where position(k) lands
};

class TableDecryptor {
 public:
  TableDecryptor(const search::SearchConfig& config, const TableLayout& layout,
                 rlwe::ContextPtr ctx, const rlwe::SecretKey& sk, rlwe::GaloisKeys keys,
                 const io::KeyId& key_id);
  // The probe key from the key holder's own expansion of the probe.
  search::ProbeKey prepare(const search::EncryptedProbe& probe, std::size_t threads = 0) const;
  // Entries 0 .. rows-1 (slot k of block b is entry b * slots + k). Throws
  // search::DecodeError when an entry does not decode to an integer (another
  // key, or an altered response), rlwe::MismatchError for a response of
  // another shape or key set.
  std::vector<std::int64_t> decrypt(const search::EncryptedScores& scores,
                                    const search::ProbeKey& key, std::size_t rows,
                                    std::size_t threads = 0) const;

 private:
  search::SearchConfig config_;
  TableLayout layout_;
  search::ProbeExpander expander_;
  search::ScoreDecryptor decryptor_;
  io::KeyId key_id_;
};

}  // namespace veil::ann
