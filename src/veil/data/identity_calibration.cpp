#include "veil/data/identity_calibration.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "veil/data/dot.h"

namespace veil::data {
namespace {

struct Fit {
  double spread = 0, floor = 0, offset = 0, decay = 0, variation = 0;
};

// Inverts a first-order model of the statistics (normalisation treated as
// dividing by the mean squared norm N2 = a^2 + 1 + s^2 + f^2):
//   genuine mean  = (a^2 + 1) / N2,  impostor mean = a^2 / N2,
//   impostor var  = (1/keff + E) / N2^2 + im^2 V / (2 N2^2),
//   genuine var   = (2/keff) Q^2 / N2^4 + E / N2^2 + gm^2 V / (2 N2^2),
// with Q = s^2 + f^2; E = 2s^2/k + s^4/k + 2f^2(1+s^2)/D + f^4/D, the
// variance of the cross terms; V = s^4 (e^{4 sigma^2} (1 + 2/k) - 1), the
// variance of a sample's squared spread, which moves its norm and so every
// score it is in; and the |c|^2 term of the genuine score damped by the
// normalisation (d cos / d|c|^2 = Q / N2^2). The means fix a, N2 and Q; a
// grid over the floor's share of Q and sigma, with keff from the impostor
// std, picks the pair that best meets both stds, preferring (by a small
// penalty) no spread variation and a floor share near 10%.
Fit invert(const CosineStats& t, std::size_t k_dim, std::size_t d_dim) {
  const double k = static_cast<double>(k_dim), D = static_cast<double>(d_dim);
  const double gm = std::clamp(t.genuine_mean, 1e-3, 0.999);
  const double im = std::clamp(t.impostor_mean, 0.0, gm - 1e-3);
  const double n2 = 1.0 / (gm - im);
  const double a2 = im * n2;
  const double q = (1.0 - gm) / (gm - im);
  const double is = std::max(t.impostor_std, 0.0), gs = std::max(t.genuine_std, 0.0);
  double best_err = INFINITY;
  Fit fit;
  double best_inv_keff = 1.0 / k;
  constexpr int kShares = 100, kSigmas = 200;
  constexpr double kMaxSigma = 2.0;
  for (int i = 0; i <= kShares; ++i) {
    const double share = static_cast<double>(i) / kShares;
    const double f2 = share * q, s2 = q - f2;
    const double e = 2 * s2 / k + s2 * s2 / k + 2 * f2 * (1 + s2) / D + f2 * f2 / D;
    for (int j = 0; j <= kSigmas; ++j) {
      const double sigma = kMaxSigma * j / kSigmas;
      const double v = s2 * s2 * (std::exp(4 * sigma * sigma) * (1 + 2 / k) - 1);
      const double inv_keff = std::clamp(is * is * n2 * n2 - e - im * im * v / 2, 1.0 / k, 1.0);
      const double is_pred = std::sqrt(inv_keff + e + im * im * v / 2) / n2;
      const double gs_pred = std::sqrt(2 * inv_keff * q * q / (n2 * n2) + e + gm * gm * v / 2) / n2;
      const double err = std::abs(gs_pred - gs) + std::abs(is_pred - is) + 1e-3 * sigma +
                         1e-3 * std::abs(share - 0.1);
      if (err < best_err) {
        best_err = err;
        fit.spread = std::sqrt(s2);
        fit.floor = std::sqrt(f2);
        fit.variation = sigma;
        best_inv_keff = inv_keff;
      }
    }
  }
  fit.offset = std::sqrt(a2);
  // effective_dim decreases with decay: bisect for keff = 1 / best_inv_keff.
  const double keff = 1.0 / best_inv_keff;
  double lo = 0, hi = 16;
  if (effective_dim(k_dim, 0) <= keff) {
    hi = 0;
  } else {
    for (int it = 0; it < 60; ++it) {
      const double mid = 0.5 * (lo + hi);
      (effective_dim(k_dim, mid) > keff ? lo : hi) = mid;
    }
  }
  fit.decay = hi;
  return fit;
}

// The statistics of one simulation round: every within-identity pair, and
// for impostors one pair per pair of identities (sample 0 of the first with
// sample 1 of the second), so many identities fit in a fast round; the
// identity-level variation dominates the sampling error of the means.
CosineStats simulate(const IdentityGenParams& p, unsigned threads) {
  const LabeledSet s = IdentityGenerator(p).generate_all(threads);
  const std::size_t S = p.samples_per_identity, D = p.ambient_dim;
  double gs = 0, gss = 0, is = 0, iss = 0;
  std::uint64_t gn = 0, in = 0;
  for (std::size_t i = 0; i < p.identities; ++i) {
    for (std::size_t a = 0; a < S; ++a) {
      for (std::size_t b = a + 1; b < S; ++b) {
        const double c = dot(s.x.row(i * S + a), s.x.row(i * S + b), D);
        gs += c;
        gss += c * c;
        ++gn;
      }
    }
    for (std::size_t j = i + 1; j < p.identities; ++j) {
      const double c = dot(s.x.row(i * S), s.x.row(j * S + 1), D);
      is += c;
      iss += c * c;
      ++in;
    }
  }
  CosineStats r;
  r.genuine_pairs = gn;
  r.impostor_pairs = in;
  r.genuine_mean = gs / gn;
  r.genuine_std = std::sqrt(std::max(0.0, gss / gn - r.genuine_mean * r.genuine_mean));
  r.impostor_mean = is / in;
  r.impostor_std = std::sqrt(std::max(0.0, iss / in - r.impostor_mean * r.impostor_mean));
  return r;
}

void apply(const Fit& fit, IdentityGenParams& p) {
  p.within_spread = fit.spread;
  p.noise_floor = fit.floor;
  p.common_offset = fit.offset;
  p.spectrum_decay = fit.decay;
  p.spread_variation = fit.variation;
}

double max_error(const CosineStats& a, const CosineStats& b) {
  return std::max(
      {std::abs(a.genuine_mean - b.genuine_mean), std::abs(a.genuine_std - b.genuine_std),
       std::abs(a.impostor_mean - b.impostor_mean), std::abs(a.impostor_std - b.impostor_std)});
}

}  // namespace

Calibration calibrate_to(const CosineStats& target, const IdentityGenParams& base,
                         const CalibrationOptions& options) {
  if (options.identities < 2 || options.samples < 2) {
    throw std::invalid_argument(
        "calibrate_to: the simulation needs at least 2 identities and 2 "
        "samples per identity, got " +
        std::to_string(options.identities) + " and " + std::to_string(options.samples));
  }
  IdentityGenParams sim = base;
  sim.identities = options.identities;
  sim.samples_per_identity = options.samples;
  Calibration best;
  best.target = target;
  best.max_error = INFINITY;
  CosineStats aim = target;  // what the inversion is asked for
  for (int round = 1; round <= options.max_rounds; ++round) {
    const Fit fit = invert(aim, base.intrinsic_dim, base.ambient_dim);
    apply(fit, sim);
    const CosineStats got = simulate(sim, options.threads);
    const double err = max_error(got, target);
    if (err < best.max_error) {
      best.params = base;
      apply(fit, best.params);
      best.achieved = got;
      best.max_error = err;
    }
    best.rounds = round;
    if (err <= options.tolerance) {
      best.converged = true;
      break;
    }
    // Shift the aim by the miss (kept within the ranges statistics can take).
    aim.genuine_mean =
        std::clamp(aim.genuine_mean + target.genuine_mean - got.genuine_mean, -1.0, 1.0);
    aim.impostor_mean =
        std::clamp(aim.impostor_mean + target.impostor_mean - got.impostor_mean, -1.0, 1.0);
    aim.genuine_std = std::clamp(aim.genuine_std + target.genuine_std - got.genuine_std, 0.0, 1.0);
    aim.impostor_std =
        std::clamp(aim.impostor_std + target.impostor_std - got.impostor_std, 0.0, 1.0);
  }
  return best;
}

Calibration calibrate_to(const LabeledSet& reference, const IdentityGenParams& base,
                         const CalibrationOptions& options) {
  return calibrate_to(cosine_stats(reference), base, options);
}

}  // namespace veil::data
