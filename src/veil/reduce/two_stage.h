// Two-stage encrypted search (HERS): a coarse pass over reduced templates,
// then an exact re-score of the K best with the full templates.
//
// Both layouts live in the same gallery block (and so in the same store
// block, under the same ids):
//
//   [ stage-1 block: the reduced templates, encrypted dimension-major as in
//     search/enroll.h (SearchConfig `coarse`) ][ stage-2 region: the full
//     templates as rows, search/rerank.h ]
//
// Per probe: the key holder reduces and encrypts the probe; the server
// scans the stage-1 blocks (cost grows with n at the reduced dimension);
// the key holder decrypts the coarse scores and asks for the top K slots;
// the server returns those K rows (cost grows with K); the key holder
// decrypts them and scores them against the full probe. The server learns
// which K slots are re-scored (an access pattern; see docs/reduce.md).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "veil/data/matrix.h"
#include "veil/reduce/model.h"
#include "veil/rlwe/objects.h"
#include "veil/search/config.h"
#include "veil/search/enroll.h"
#include "veil/search/key_holder.h"
#include "veil/search/probe.h"
#include "veil/search/rerank.h"
#include "veil/search/server.h"

namespace veil::reduce {

struct TwoStageLayout {
  search::SearchConfig coarse;  // stage 1, at the reduced dimension
  search::RowLayout rows;       // stage 2, at the full dimension
  std::uint32_t full_scale = search::kMaxQuantScale;
  std::size_t stage1_bytes() const { return coarse.block_bytes(); }
  std::size_t block_bytes() const { return stage1_bytes() + rows.region_bytes(); }
};

// Checks that the coarse config is a secret-key gallery (stage-2 rows are
// keyed from the secret key) and 1 <= full_scale <= 127.
TwoStageLayout make_two_stage_layout(const search::SearchConfig& coarse, std::size_t full_dimension,
                                     std::uint32_t full_scale = search::kMaxQuantScale);

// Templates quantised for both stages: what TwoStageEnroller encrypts.
struct TwoStageRows {
  search::QuantizedRows full;    // full dimension, layout.full_scale
  search::QuantizedRows coarse;  // reduced, layout.coarse.quant_scale
  std::size_t rows() const { return full.rows; }
};

// The key holder's enrollment: full-dimension rows in, two-stage blocks out.
class TwoStageEnroller {
 public:
  // `reducer` maps the full dimension to layout.coarse.dimension.
  TwoStageEnroller(const TwoStageLayout& layout, rlwe::ContextPtr ctx, const rlwe::SecretKey& sk,
                   std::shared_ptr<const Reducer> reducer);
  // Reduces and quantises every row, so that a bad row (wrong dimension,
  // NaN, zero, or one the model maps to zero) is a search::InputError
  // before any block is written.
  TwoStageRows prepare(const data::Matrix& full) const;
  // Rows [first, first + count) into `out` (layout.block_bytes()).
  void encrypt_block(const TwoStageRows& rows, std::size_t first, std::size_t count,
                     std::span<std::uint8_t> out, std::size_t threads) const;
  // prepare() of rows [first, first + count) of `full`, then encrypt_block.
  void encrypt_block(const data::Matrix& full, std::size_t first, std::size_t count,
                     std::span<std::uint8_t> out, std::size_t threads) const;

 private:
  TwoStageLayout layout_;
  std::shared_ptr<const Reducer> reducer_;
  search::GalleryEncryptor stage1_;
  search::RowCipher stage2_;
};

// A probe reduced by `reducer` and quantised at `scale` for stage 1; a
// search::InputError when the model maps it to a zero or non-finite vector.
search::QuantizedRows reduce_probe(const Reducer& reducer, std::span<const float> probe,
                                   std::uint32_t scale);

// Wall time of each step of one probe, milliseconds.
struct TwoStageTimings {
  double reduce_probe = 0, encrypt_probe = 0;    // key holder, before the server
  double expand = 0, scan = 0, switch_down = 0;  // server, stage 1
  double prepare = 0, decrypt = 0, select = 0;   // key holder, stage 1
  double gather = 0;                             // server, stage 2
  double rescore = 0;                            // key holder, stage 2
  double server() const { return expand + scan + switch_down + gather; }
  double key_holder() const {
    return reduce_probe + encrypt_probe + prepare + decrypt + select + rescore;
  }
  double total() const { return server() + key_holder(); }
};

struct TwoStageResult {
  std::vector<search::Match> matches;  // best first; scores are full-dimension quantised dots
  std::vector<search::Match> coarse;   // the K stage-1 candidates, best first
  TwoStageTimings ms;
  // Serialised sizes of the four messages (probe, coarse scores, the
  // request for K slots, the K encrypted rows).
  std::size_t probe_bytes = 0, scores_bytes = 0, request_bytes = 0, rows_bytes = 0;
};

// Which slots may be returned (live templates); by default every slot below
// the template count.
using SlotFilter = std::function<bool(std::size_t)>;

// Block bytes aligned for the scan kernel (the store's mapping is too).
using BlockBytes = std::vector<std::uint8_t, ring::PolyAllocator<std::uint8_t>>;

// The three parties in one process (evaluation, benchmarks, the CLI). The
// blocks (64-byte aligned) must stay alive and unchanged while it is used.
class TwoStageSearcher {
 public:
  // `key_id`: the identity of the key set (search/key_identity.h).
  TwoStageSearcher(const TwoStageLayout& layout, rlwe::ContextPtr ctx, const rlwe::SecretKey& sk,
                   const io::KeyId& key_id, rlwe::GaloisKeys expansion_keys,
                   std::shared_ptr<const Reducer> reducer, std::vector<const std::uint8_t*> blocks,
                   std::size_t templates, std::size_t threads);
  // `probe` has the full dimension. K = `candidates` (at least k). The
  // stage-2 request and rows travel serialised (search/rerank_wire.h).
  TwoStageResult search(std::span<const float> probe, std::size_t candidates, std::size_t k,
                        const SlotFilter& live = {}) const;

  const TwoStageLayout& layout() const { return layout_; }

 private:
  TwoStageLayout layout_;
  rlwe::ContextPtr ctx_;
  std::shared_ptr<const Reducer> reducer_;
  std::size_t templates_, threads_;
  search::ProbeEncryptor client_;
  search::SearchServer server_;
  search::ScoreDecryptor key_holder_;
  search::RowCipher rows_;
  std::vector<const std::uint32_t*> stage1_;
  std::vector<const std::uint8_t*> stage2_;
  // Serialised response size: fixed by the block count, measured on the
  // first search rather than re-serialising 7.5 MB per 1M templates per probe.
  mutable std::atomic<std::size_t> scores_bytes_{0};
};

}  // namespace veil::reduce
