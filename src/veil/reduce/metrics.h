// Accuracy metrics for reduced (or encrypted, once decrypted) search:
// closed-set identification (rank-1, rank-10), verification (TAR at a FAR),
// and ANN recall@k against an exact top-k. Pure functions over plain data.
//
// Conventions (all metrics):
// - A score is a similarity: higher means more alike (cosine / inner product
//   of unit rows; exact_top_k's L2 mode uses the negated squared distance).
// - Ties are resolved against the answer being measured: a non-mate scoring
//   exactly as high as the best mate ranks ahead of it; a score equal to a
//   verification threshold is rejected (for genuine and impostor alike).
// - Sizes that disagree are std::invalid_argument with both sizes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "veil/data/matrix.h"

namespace veil::reduce {

// --- Identification (closed set) ------------------------------------------

struct IdentificationResult {
  double rank1 = 0;   // fraction of scored probes whose mate is ranked 1st
  double rank10 = 0;  // ... within the first 10 (NaN from top-k lists shorter than 10)
  std::size_t probes_scored = 0;
  // Probes whose label has no gallery row: left out of both fractions
  // (closed-set identification is undefined for them), counted here.
  std::size_t probes_without_mate = 0;
};

// Ranks are over gallery rows (not identities): a probe's rank is 1 + the
// number of non-mate gallery rows scoring >= its best mate. With one gallery
// row per identity the two coincide. `scores` is probes x gallery, row-major.
IdentificationResult identification_from_scores(std::span<const float> scores,
                                                std::span<const std::int64_t> gallery_labels,
                                                std::span<const std::int64_t> probe_labels);
// Scores are inner products of the rows (cosine for unit rows).
IdentificationResult identification_accuracy(const data::Matrix& gallery,
                                             std::span<const std::int64_t> gallery_labels,
                                             const data::Matrix& probes,
                                             std::span<const std::int64_t> probe_labels,
                                             unsigned threads = 0);
// From returned candidate lists (row p: gallery row ids, best first, as a
// search returns them; -1 pads a short list). Rank-k = a mate among the
// first k ids. Needs the gallery labels to tell which probes have a mate.
// rank10 is NaN when the lists hold fewer than 10 ids.
IdentificationResult identification_from_top_k(const data::IntMatrix& top_ids,
                                               std::span<const std::int64_t> gallery_labels,
                                               std::span<const std::int64_t> probe_labels);

// --- Verification ----------------------------------------------------------

struct PairScores {
  std::vector<float> genuine;   // pairs with equal labels
  std::vector<float> impostor;  // pairs with different labels
};
// Every probe x gallery pair (P * G scores: subsample big sets first).
PairScores pair_scores(const data::Matrix& gallery, std::span<const std::int64_t> gallery_labels,
                       const data::Matrix& probes, std::span<const std::int64_t> probe_labels);
// Every unordered pair i < j of one set.
PairScores pair_scores(const data::Matrix& x, std::span<const std::int64_t> labels);

struct TarAtFar {
  double far_target = 0;
  bool valid = false;
  double tar = 0;           // NaN when !valid
  double threshold = 0;     // accept iff score > threshold; NaN when !valid
  double far_achieved = 0;  // impostors above the threshold / impostors (<= far_target)
  std::string reason;       // why !valid
};

// Threshold from the impostor quantile: with n impostor scores sorted
// descending and m = floor(far * n) false accepts allowed, the threshold is
// the (m+1)-th highest impostor score and a pair is accepted iff its score
// is strictly above it. Impostors tied with that score are all rejected, so
// the achieved FAR never exceeds the target (it is below it when ties
// straddle the quantile). Needs n >= ceil(1 / far) impostor scores (10,000
// for FAR 1e-4), else !valid with the reason; also !valid when there are no
// genuine scores. far must be in (0, 1).
TarAtFar tar_at_far(std::span<const float> genuine, std::span<const float> impostor, double far);

// --- ANN recall -------------------------------------------------------------

// Mean over queries of |first k returned ids ∩ first k exact ids| / k. A
// repeated or negative (padding) returned id counts once / not at all. Both
// matrices need at least k columns and the same row count. Ids only: a
// returned id tied in score with an exact k-th neighbour but not in the exact
// list counts as a miss (see recall_at_k_tie_aware).
double recall_at_k(const data::IntMatrix& returned, const data::IntMatrix& exact,
                   std::size_t k = 10);

// Tie-aware: a returned id (distinct, valid) is a hit when its true score
// (inner product with the query) is >= the query's exact k-th best score
// minus `tolerance`, so any of several tied k-th neighbours counts. At most
// k hits per query.
double recall_at_k_tie_aware(const data::IntMatrix& returned, const data::Matrix& base,
                             const data::Matrix& queries, std::size_t k = 10, double tolerance = 0);

// --- Exact top-k (ground truth) ---------------------------------------------

enum class Similarity { kInnerProduct, kNegativeL2 };

struct TopK {
  data::IntMatrix ids;  // queries x k, best first; ties: the lower id first
  data::Matrix scores;  // the similarity of each id (negated squared L2 for kNegativeL2)
};

// Brute force over all base rows; k is capped at base.rows. threads = 0: one
// per hardware thread (queries are split between threads; results do not
// depend on the thread count).
TopK exact_top_k(const data::Matrix& base, const data::Matrix& queries, std::size_t k,
                 Similarity similarity = Similarity::kInnerProduct, unsigned threads = 0);

}  // namespace veil::reduce
