// P x K batch sampling for metric learning (no libtorch needed).
//
// Every batch holds P distinct identities and up to K distinct samples of
// each, so that it always contains genuine pairs (same identity) as well as
// impostor pairs. Only identities with at least two samples are drawn;
// an identity with fewer than K samples contributes all of them. The
// randomness is a ring::Xof stream keyed by the seed (DESIGN.md: only
// cryptographic streams), so a seed reproduces the exact sequence of batches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "veil/ring/xof.h"

namespace veil::reduce {

// A uniform value in [0, n) from the stream (rejection sampling, no modulo
// bias). n must be positive.
std::uint64_t uniform_below(ring::Xof& xof, std::uint64_t n);

// The 32-byte Xof seed derived from a 64-bit training seed (little-endian in
// the first 8 bytes, the rest a fixed tag so it differs from other users).
ring::Seed training_seed(std::uint64_t seed);

class PkSampler {
 public:
  // labels: one identity per row. identities_per_batch (P) >= 2,
  // samples_per_identity (K) >= 2; at least two identities must have two or
  // more rows (std::invalid_argument with the counts otherwise). P is capped
  // at the number of such identities.
  PkSampler(std::span<const std::int64_t> labels, std::size_t identities_per_batch,
            std::size_t samples_per_identity, std::uint64_t seed);

  // Row indices of the next batch, grouped by identity (the K rows of the
  // first identity, then those of the second, ...).
  std::vector<std::size_t> next_batch();

  std::size_t identities_per_batch() const { return p_; }
  std::size_t samples_per_identity() const { return k_; }
  // Identities with at least two rows (the ones batches are drawn from).
  std::size_t eligible_identities() const { return groups_.size(); }
  // ceil(rows / (P * K)), at least 1: how many batches make an epoch, so an
  // epoch sees about as many rows as the set has whatever its label layout.
  std::size_t batches_per_epoch() const { return batches_per_epoch_; }

 private:
  std::vector<std::vector<std::size_t>> groups_;  // rows of each eligible identity
  std::vector<std::size_t> order_;                // identity permutation scratch
  std::size_t p_ = 0, k_ = 0, batches_per_epoch_ = 1;
  ring::Xof xof_;
};

}  // namespace veil::reduce
