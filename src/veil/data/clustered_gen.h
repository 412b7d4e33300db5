// A generated SIFT-like vector set for ANN benchmarks at scales no real set
// here reaches (docs/ann.md, "Data"). Labelled as generated wherever used.
//
// Model: C clusters in d dimensions. Cluster c has a centre mu_c with
// coordinates 30 g^2 (g standard normal, capped at 200: non-negative and
// skewed like SIFT's histogram bins) and its own random k-dimensional
// subspace B_c (d x k, N(0, 1/d) entries). A point of cluster c is
//   x = mu_c + B_c (sigma o z) + noise_sd * e,  sigma_i = spread * 0.85^i,
// z and e standard normal, clipped to [0, 255] and rounded (SIFT is uint8).
// Clusters are drawn uniformly. Queries come from the same mixture on a
// separate stream, so none is a base vector.
//
// Randomness: ChaCha20 (ring::Xof) keyed by the public seed; rows are made
// in chunks of 4096, each with its own stream, so any chunk can be produced
// alone and the result does not depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>

#include "veil/data/matrix.h"

namespace veil::data {

struct ClusteredParams {
  std::size_t dimension = 128, clusters = 1000, intrinsic = 12;
  double spread = 25.0, noise_sd = 2.0;
  std::uint64_t seed = 1;
};

class ClusteredGenerator {
 public:
  // std::invalid_argument for a zero size or intrinsic > dimension.
  explicit ClusteredGenerator(const ClusteredParams& p);
  // Rows [first, first + count) of the base set, or of the query set.
  Matrix base(std::size_t first, std::size_t count, std::size_t threads = 0) const;
  Matrix queries(std::size_t first, std::size_t count, std::size_t threads = 0) const;

 private:
  Matrix rows(std::uint64_t stream, std::size_t first, std::size_t count,
              std::size_t threads) const;
  ClusteredParams p_;
  std::vector<float> centres_;  // clusters x d
  std::vector<float> bases_;    // clusters x d x k (sigma folded in)
};

}  // namespace veil::data
