// The RLWE sample shared by secret-key encryption and key generation:
// b = -a s + e * noise_factor (+ m), with a uniform and e Gaussian.
#pragma once

#include "veil/ring/rns_poly.h"
#include "veil/ring/xof.h"
#include "veil/rlwe/context.h"

namespace veil::rlwe {

// e * noise_factor (t for BGV, 1 for CKKS), evaluation form over `basis`.
ring::RnsPoly sample_scaled_noise(const Context& ctx, ring::Xof& xof, const ring::RnsBasis& basis);

// acc = acc (+ m) - a s over `basis`, reading the first basis.size() limbs of
// s in place (s may have more limbs: the key basis). m may be null.
void add_minus_as(const ring::RnsBasis& basis, const ring::RnsPoly& s, const ring::RnsPoly& a,
                  const ring::RnsPoly* m, ring::RnsPoly& acc);

}  // namespace veil::rlwe
