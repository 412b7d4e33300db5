// Helpers for rlwe tests: small-coefficient plaintexts and noise measurement.
#pragma once

#include <cmath>
#include <vector>

#include "test_rng.h"
#include "veil/ring/poly_ops.h"
#include "veil/ring/sampler.h"
#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"

namespace veil::test {

// A plaintext whose coefficients are the given signed values.
inline rlwe::Plaintext plaintext_from(const rlwe::Context& ctx, std::size_t level,
                                      const std::vector<std::int64_t>& v) {
  rlwe::Plaintext pt;
  pt.param_id = ctx.id();
  pt.level = level;
  const auto& basis = ctx.basis_q(level);
  ring::small_to_rns(v.data(), basis, pt.poly);
  ring::to_eval(pt.poly, basis);
  return pt;
}

// Centred coefficients of a decrypted plaintext.
inline std::vector<long double> centered(const rlwe::Context& ctx, const rlwe::Plaintext& pt) {
  auto p = pt.poly;
  ring::to_coeff(p, ctx.basis_q(pt.level));
  std::vector<long double> out(p.n());
  ctx.crt(pt.level).to_centered_long_double(p, out.data());
  return out;
}

inline double max_abs_diff(const std::vector<long double>& a, const std::vector<std::int64_t>& b) {
  long double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return static_cast<double>(m);
}

inline std::vector<std::int64_t> random_small(std::size_t n, std::int64_t bound) {
  std::vector<std::int64_t> v(n);
  for (auto& x : v) x = static_cast<std::int64_t>(uniform_below(2 * bound + 1)) - bound;
  return v;
}

}  // namespace veil::test
