#include "veil/rlwe/modulus_ops.h"

#include <vector>

#include "veil/math/modarith.h"

namespace veil::rlwe {

using math::u128;
using math::u64;

void divide_round_by_last(const ring::RnsPoly& a, ring::RnsPoly& out, const ring::RnsBasis& basis,
                          u64 t) {
  const std::size_t k = basis.size(), n = basis.n();
  if (k < 2) throw std::invalid_argument("divide_round_by_last: need at least two primes");
  if (a.limbs() != k || a.form() != ring::Form::kEval) {
    throw std::invalid_argument("divide_round_by_last: expected " + std::to_string(k) +
                                " limbs in evaluation form, got " + std::to_string(a.limbs()));
  }
  const math::Modulus& dm = basis.modulus(k - 1);
  const u64 d = dm.value(), half_d = d >> 1;
  // Remainder r of the last limb, centred: r in (-d/2, d/2].
  std::vector<u64> last(a.limb(k - 1), a.limb(k - 1) + n);
  basis.ntt(k - 1).inverse(last.data());

  // BGV: delta = r + d * c with c = -r d^-1 mod t (centred), so delta = 0 mod t.
  std::vector<std::int64_t> corr;
  if (t > 1) {
    const math::Modulus tm(t);
    const u64 dinv_t = math::inv_mod(tm.reduce(d), tm);
    const u64 neg_dinv_t = math::neg_mod(dinv_t, tm);
    corr.resize(n);
    for (std::size_t j = 0; j < n; ++j) {
      u64 x = last[j];
      // r mod t, with r = x if x <= d/2 else x - d.
      u64 rt = x > half_d ? math::sub_mod(tm.reduce(x), tm.reduce(d), tm) : tm.reduce(x);
      u64 c = math::mul_mod(rt, neg_dinv_t, tm);
      corr[j] = c > t / 2 ? static_cast<std::int64_t>(c) - static_cast<std::int64_t>(t)
                          : static_cast<std::int64_t>(c);
    }
  }

  ring::RnsPoly result = ring::RnsPoly::uninitialized(n, k - 1, ring::Form::kEval);
  std::vector<u64> tmp(n);
  for (std::size_t i = 0; i + 1 < k; ++i) {
    const math::Modulus& qi = basis.modulus(i);
    const u64 q = qi.value();
    const u64 d_mod = qi.reduce(d);
    const math::MulOperand dinv(math::inv_mod(d_mod, qi), qi);
    for (std::size_t j = 0; j < n; ++j) {
      u64 x = last[j];
      // delta mod q_i with delta = r (+ d * c for BGV).
      u64 r = x > half_d ? math::sub_mod(qi.reduce(x), d_mod, qi) : qi.reduce(x);
      if (t > 1) {
        u64 c = math::signed_to_mod_ct(corr[j], q);
        r = math::add_mod(r, math::mul_mod(d_mod, c, qi), qi);
      }
      tmp[j] = r;
    }
    basis.ntt(i).forward(tmp.data());
    const u64* ai = a.limb(i);
    u64* zi = result.limb(i);
    for (std::size_t j = 0; j < n; ++j) {
      zi[j] = math::mul_shoup(math::sub_mod(ai[j], tmp[j], qi), dinv, qi);
    }
  }
  out = std::move(result);
}

void divide_round_by_last(ring::RnsPoly& a, const ring::RnsBasis& basis, u64 t) {
  divide_round_by_last(a, a, basis, t);
}

}  // namespace veil::rlwe
