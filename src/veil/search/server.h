// The search server: expands a compact probe, scans gallery blocks with the
// kernel, and switches each block's result (x0, x1) down to the response
// prime in coefficient form, next to the block's mask (mask.h). It holds no
// secret: only the Galois keys for expansion, and it never sees a template,
// a probe or a score.
#pragma once

#include <span>

#include "veil/math/ntt.h"
#include "veil/search/crt2.h"
#include "veil/search/probe.h"
#include "veil/search/scan_kernel.h"

namespace veil::search {

// What leaves the server: per block, (x0, x1) mod the response prime,
// coefficient form, n words each, and the block's mask words.
struct EncryptedScores {
  std::uint64_t param_id = 0;
  io::KeyId key_id;  // the gallery's key set
  std::size_t n = 0;
  std::size_t blocks = 0;
  std::size_t mask_words = 0;  // per block: mask_response_words(config)
  Words words;                 // blocks x 2 x n
  Words masks;                 // blocks x mask_words
  const std::uint32_t* block(std::size_t b) const { return words.data() + b * 2 * n; }
  const std::uint32_t* mask(std::size_t b) const { return masks.data() + b * mask_words; }
};

std::vector<std::uint8_t> save_scores(const SearchConfig& config, const EncryptedScores& s);
EncryptedScores load_scores(const SearchConfig& config, std::uint64_t param_id,
                            std::span<const std::uint8_t> bytes);

struct ScanTimings {
  // Wall seconds of each phase, added to (a batch sums its passes).
  double expand_s = 0, scan_s = 0, reduce_s = 0;
};

class SearchServer {
 public:
  // `gallery_key`: the key set of the gallery it scans (and of `keys`).
  // Probes of another key set are refused before any work.
  SearchServer(const SearchConfig& config, rlwe::ContextPtr ctx, rlwe::GaloisKeys keys,
               const io::KeyId& gallery_key, std::size_t threads = 0 /* default_threads() */);

  const SearchConfig& config() const { return config_; }
  const rlwe::ContextPtr& context() const { return ctx_; }
  std::size_t threads() const { return threads_; }
  void set_kernel(ScanKernel k) { kernel_ = k; }

  const io::KeyId& gallery_key() const { return key_id_; }
  // Throws KeyMismatchError for a probe of another key set.
  Words expand(const EncryptedProbe& probe) const {
    require_key(probe.key_id, key_id_, "probe");
    return expander_.expand(probe, threads_);
  }
  // Each pointer is one block of config.block_words() words, 64-byte aligned.
  EncryptedScores score(const Words& expanded, std::span<const std::uint32_t* const> blocks,
                        ScanTimings* timings = nullptr) const;
  EncryptedScores search(const EncryptedProbe& probe, std::span<const std::uint32_t* const> blocks,
                         ScanTimings* timings = nullptr) const;

  // Several probes in one pass over the gallery (at most kMaxBatch): each
  // block tile is read from memory once for all of them; result i is
  // byte-identical to score(probes[i]) / search(probes[i]). The scan is
  // compute-bound once the probes share the reads (docs/benchmarks.md).
  static constexpr std::size_t kMaxBatch = 16;
  std::vector<EncryptedScores> score_batch(std::span<const Words> expanded,
                                           std::span<const std::uint32_t* const> blocks,
                                           ScanTimings* timings = nullptr) const;
  std::vector<EncryptedScores> search_batch(std::span<const EncryptedProbe> probes,
                                            std::span<const std::uint32_t* const> blocks,
                                            ScanTimings* timings = nullptr) const;

 private:
  void reduce_block(const std::uint32_t* eval_residues, std::uint32_t* out) const;
  EncryptedScores empty_scores(std::span<const std::uint32_t* const> blocks) const;
  SearchConfig config_;
  rlwe::ContextPtr ctx_;
  ProbeExpander expander_;
  io::KeyId key_id_;
  ScanPrimes primes_;
  std::size_t threads_;
  ScanKernel kernel_;
  Crt2 crt_;
  double switch_ratio_;  // p / Q
};

}  // namespace veil::search
