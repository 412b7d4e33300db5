// Samplers for RLWE: uniform (public `a`), ternary (secrets), discrete
// Gaussian (noise). Ternary and Gaussian samplers run in time independent
// of the values they draw: no branch or memory access depends on them.
#pragma once

#include "veil/ring/rns_poly.h"
#include "veil/ring/xof.h"

namespace veil::ring {

inline constexpr double kNoiseStdDev = 3.2;
inline constexpr int kNoiseBound = 19;  // 6 sigma, as in the HE standard's analysis

// Each limb uniform mod its prime; writes `out` with basis.size() limbs and
// leaves its form as given (uniform is uniform in either form).
void sample_uniform(Xof& xof, const RnsBasis& basis, Form form, RnsPoly& out);

// Small-coefficient samples, written as signed integers (for reuse across bases).
void sample_ternary_values(Xof& xof, std::size_t n, std::int64_t* out);
void sample_gaussian_values(Xof& xof, std::size_t n, std::int64_t* out);

// Spreads signed small values over every limb of the basis (coefficient form).
void small_to_rns(const std::int64_t* values, const RnsBasis& basis, RnsPoly& out);

// Ternary (uniform over {-1,0,1}) and Gaussian polynomials in coefficient form.
void sample_ternary(Xof& xof, const RnsBasis& basis, RnsPoly& out);
void sample_gaussian(Xof& xof, const RnsBasis& basis, RnsPoly& out);

}  // namespace veil::ring
