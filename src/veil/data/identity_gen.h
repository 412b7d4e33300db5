// Identity-structured synthetic embeddings, for experiments at a scale no
// real face set here reaches (see ../shared/datasets/README.md). Generated,
// not real: report results on it separately from real data.
//
// Model (k = intrinsic_dim, D = ambient_dim): a random orthonormal basis of
// k + 1 directions in R^D, B (k columns: the identity subspace) and m (one
// shared direction). Identity i has a centre c_i in the subspace with
// independent coordinates c_it ~ N(0, lambda_t), lambda_t proportional to
// (t + 1)^-spectrum_decay and summing to 1 (E|c|^2 = 1; decay > 0 makes the
// subspace anisotropic, lowering its effective dimension). Sample j of
// identity i is
//   x_ij = normalise( common_offset * m + B (c_i + within_spread * u_ij)
//                     + noise_floor * n_ij ),
// u_ij ~ N(0, I_k / k) (within-identity variation inside the subspace),
// n_ij ~ N(0, I_D / D) (an isotropic ambient noise floor). The shared
// direction gives impostor pairs the positive mean cosine real face
// embeddings have.
//
// Randomness: ChaCha20 (ring::Xof) keyed by the public u64 seed and the tag
// "IDENTGEN" (a key space of its own); stream 0 draws the basis, stream i + 1
// draws identity i (its centre, then its samples in order), so an identity's
// rows depend only on (seed, parameters, i) and never on threads or on which
// identity range is generated. Not for secrets: the seed is public.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "veil/data/gallery_probe.h"
#include "veil/data/labeled_sets.h"

namespace veil::data {

struct IdentityGenParams {
  std::size_t identities = 1000;
  std::size_t samples_per_identity = 2;
  std::size_t ambient_dim = 512;
  std::size_t intrinsic_dim = 32;  // at most ambient_dim - 1
  double within_spread = 0.5;      // s
  double noise_floor = 0.1;        // f
  double common_offset = 0.0;      // a
  double spectrum_decay = 0.0;     // 0: isotropic centres; at most 16
  double spread_variation = 0.0;   // log-normal sigma of the per-sample spread; at most 3
  std::uint64_t seed = 1;
};

// "identities=.. samples=.. D=.. k=.. spread=.. floor=.. offset=.. decay=.. seed=..".
std::string to_string(const IdentityGenParams& p);

class IdentityGenerator {
 public:
  // Validates (std::invalid_argument naming the field and its value) and
  // draws the basis.
  explicit IdentityGenerator(const IdentityGenParams& params);

  const IdentityGenParams& params() const { return p_; }
  std::size_t rows() const { return p_.identities * p_.samples_per_identity; }

  // The rows of identities [first, first + count): samples_per_identity rows
  // per identity, identity after identity, into `out` (exactly
  // count * samples_per_identity * ambient_dim floats). threads = 0: one per
  // hardware thread. For streaming 1M-row sets in pieces.
  void generate(std::size_t first, std::size_t count, std::span<float> out,
                unsigned threads = 0) const;

  // All rows; row r is sample r % S of identity r / S, labels[r] = r / S.
  LabeledSet generate_all(unsigned threads = 0) const;

  // Gallery: samples 0 .. g-1 of every identity (g = gallery_per_identity);
  // probes: sample g of every identity, one per identity, so every probe has a
  // mate. Samples after g are not drawn. Rows are the same as generate_all's
  // for those samples. Needs samples_per_identity >= g + 1.
  GalleryProbe generate_split(std::size_t gallery_per_identity = 1, unsigned threads = 0) const;

  // Effective dimension of the centre distribution, (sum lambda)^2 / sum lambda^2.
  double effective_dim() const;

 private:
  // Draws samples 0 .. n-1 of identity i; sample j goes to dest[j] (may be
  // null: drawn, not stored).
  void draw_identity(std::size_t i, std::size_t n, float* const* dest) const;
  template <class Dest>
  void for_identities(std::size_t first, std::size_t count, unsigned threads, Dest dest) const;

  IdentityGenParams p_;
  std::vector<float> basis_;      // (k + 1) columns of D floats: B's columns, then m
  std::vector<float> centre_sd_;  // sqrt(lambda_t)
};

// Effective dimension of the spectrum (t + 1)^-decay over k coordinates.
double effective_dim(std::size_t k, double decay);

}  // namespace veil::data
