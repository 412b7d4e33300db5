// Two-prime CRT: residues (r0, r1) modulo q0, q1 back to c in [0, q0 q1).
// Used where a score polynomial leaves the two ciphertext primes: the
// server's switch to the response prime and the key holder's mask term.
#pragma once

#include "veil/math/modarith.h"

namespace veil::search {

class Crt2 {
 public:
  Crt2(math::u64 q0, math::u64 q1)
      : q0_(q0), q1_(q1), m1_(q1), inv_(math::inv_mod(q0 % q1, m1_), m1_) {}

  // c = r0 + q0 * ((r1 - r0) / q0 mod q1), exact below Q < 2^58. r0 < q0 <
  // 2 q1, so one conditional subtraction reduces it mod q1.
  math::u64 combine(math::u64 r0, math::u64 r1) const {
    const math::u64 x = r0 >= q1_ ? r0 - q1_ : r0;
    const math::u64 diff = r1 >= x ? r1 - x : r1 + q1_ - x;
    math::u64 t = math::mul_shoup_lazy(diff, inv_.w, inv_.w_shoup, q1_);
    t = t >= q1_ ? t - q1_ : t;
    return r0 + q0_ * t;
  }

 private:
  math::u64 q0_, q1_;
  math::Modulus m1_;
  math::MulOperand inv_;
};

}  // namespace veil::search
