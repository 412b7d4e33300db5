// Fits the identity generator's free parameters so that its genuine and
// impostor cosine distributions (mean and std) match a reference set's.
//
// Four targets, five parameters: within_spread and noise_floor together set
// the genuine mean, common_offset the impostor mean, spectrum_decay the
// impostor std (through the effective dimension of the centres), and the
// genuine std comes from the floor's share of the spread (in-subspace spread
// adds more pair-to-pair variance than the isotropic floor) and
// spread_variation (per-sample quality). Where both can meet the genuine std
// the fit prefers no spread variation and a floor share near 10%. identities,
// samples_per_identity, ambient_dim, intrinsic_dim and seed are kept from
// `base`.
//
// Method: a closed-form first-order model of the four statistics is inverted
// to give parameters; the generator is then simulated (a fixed, modest number
// of identities, the same random streams every round) and the targets fed to
// the inversion are shifted by the remaining error, until every statistic is
// within `tolerance` or the rounds run out. The best round is returned.
// Some targets are out of reach (an impostor std below what intrinsic_dim
// isotropic dimensions give, a negative impostor mean): the fit then gets as
// close as the model allows and `converged` is false.
#pragma once

#include <cstddef>

#include "veil/data/cosine_stats.h"
#include "veil/data/identity_gen.h"

namespace veil::data {

struct CalibrationOptions {
  std::size_t identities = 1000;  // simulated per round (at least 2)
  std::size_t samples = 4;        // per identity (at least 2)
  int max_rounds = 30;
  double tolerance = 0.004;  // on each of the four statistics
  unsigned threads = 0;
};

struct Calibration {
  IdentityGenParams params;  // base with the four fitted fields
  CosineStats target;
  // Of the last simulation with `params` (base's seed): all within-identity
  // pairs, one impostor pair per pair of identities.
  CosineStats achieved;
  int rounds = 0;
  bool converged = false;
  double max_error = 0;  // largest |achieved - target| of the four
};

Calibration calibrate_to(const CosineStats& target, const IdentityGenParams& base,
                         const CalibrationOptions& options = {});
// Computes the reference's cosine_stats first.
Calibration calibrate_to(const LabeledSet& reference, const IdentityGenParams& base,
                         const CalibrationOptions& options = {});

}  // namespace veil::data
