// Limb-wise arithmetic on RNS polynomials. Every operation works on exactly
// the primes of the basis it is given; operands must have that many limbs.
#pragma once

#include <span>

#include "veil/ring/rns_poly.h"

namespace veil::ring {

// Throws std::invalid_argument unless p has basis.size() limbs of degree basis.n().
void require_shape(const RnsPoly& p, const RnsBasis& basis, const char* what);

// out = a + b, a - b, -a. `out` may alias an input. Forms must match.
void add(const RnsPoly& a, const RnsPoly& b, RnsPoly& out, const RnsBasis& basis);
void sub(const RnsPoly& a, const RnsPoly& b, RnsPoly& out, const RnsBasis& basis);
void negate(const RnsPoly& a, RnsPoly& out, const RnsBasis& basis);

// Pointwise products (both operands in evaluation form).
void multiply(const RnsPoly& a, const RnsPoly& b, RnsPoly& out, const RnsBasis& basis);
// acc += a * b (evaluation form).
void multiply_accumulate(const RnsPoly& a, const RnsPoly& b, RnsPoly& acc, const RnsBasis& basis);
// out = a * b + c (evaluation form); out may alias c.
void multiply_add(const RnsPoly& a, const RnsPoly& b, const RnsPoly& c, RnsPoly& out,
                  const RnsBasis& basis);
// Degree-2 product of (a0, a1) and (b0, b1): c0 = a0 b0, c1 = a0 b1 + a1 b0,
// c2 = a1 b1, with one reduction per output coefficient.
void tensor(const RnsPoly& a0, const RnsPoly& a1, const RnsPoly& b0, const RnsPoly& b1, RnsPoly& c0,
            RnsPoly& c1, RnsPoly& c2, const RnsBasis& basis);
// out = a * c where c[i] < q_i is a scalar per limb (any form).
void multiply_scalar(const RnsPoly& a, std::span<const math::u64> c, RnsPoly& out,
                     const RnsBasis& basis);

// In-place NTT / inverse NTT of every limb, updating the form tag.
void to_eval(RnsPoly& a, const RnsBasis& basis);
void to_coeff(RnsPoly& a, const RnsBasis& basis);

// Every residue of limb i is below q_i.
bool residues_in_range(const RnsPoly& a, const RnsBasis& basis);

}  // namespace veil::ring
