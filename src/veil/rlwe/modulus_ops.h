// Dividing by the last prime of a basis with rounding: the step shared by
// CKKS rescaling, BGV modulus switching and the mod-down after key switching.
#pragma once

#include "veil/ring/rns_poly.h"

namespace veil::rlwe {

// a (evaluation form, basis.size() limbs) becomes round(a / d) over the basis
// without its last prime d, keeping a mod t unchanged up to the factor d^-1:
// with noise_factor t > 1 (BGV) the subtracted remainder is a multiple of t;
// with t == 1 (CKKS) it is the centred remainder, i.e. rounding to nearest.
void divide_round_by_last(ring::RnsPoly& a, const ring::RnsBasis& basis, math::u64 t);
// The same, reading `in` and writing basis.size() - 1 limbs to `out` (no copy).
void divide_round_by_last(const ring::RnsPoly& in, ring::RnsPoly& out, const ring::RnsBasis& basis,
                          math::u64 t);

}  // namespace veil::rlwe
