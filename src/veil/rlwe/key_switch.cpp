#include "veil/rlwe/key_switch.h"

#include <vector>

#include "veil/rlwe/errors.h"
#include "veil/rlwe/modulus_ops.h"

namespace veil::rlwe {

using math::u128;
using math::u64;
using ring::Form;
using ring::RnsPoly;

void key_switch(const Context& ctx, const RnsPoly& c, std::size_t level, const KeySwitchKey& key,
                RnsPoly& d0, RnsPoly& d1) {
  require_param_id(key.param_id, ctx.id(), "key_switch");
  ctx.require_level(level, "key_switch");
  if (key.parts() != ctx.max_level() + 1) {
    throw MismatchError("key_switch: key has " + std::to_string(key.parts()) + " parts, expected " +
                        std::to_string(ctx.max_level() + 1));
  }
  const auto& qp = ctx.basis_qp(level);
  const std::size_t n = ctx.n(), k = level + 1, key_p_limb = ctx.max_level() + 1;
  if (c.limbs() != k || c.form() != Form::kEval) {
    throw MismatchError("key_switch: input must have " + std::to_string(k) +
                        " limbs in evaluation form");
  }
  // Accumulators over Q_l P, kept as 128-bit sums would cost memory; instead
  // reduce after each multiply-add (k products per coefficient).
  RnsPoly acc0(n, k + 1, Form::kEval), acc1(n, k + 1, Form::kEval);
  std::vector<u64> digit(n), lifted(n);
  for (std::size_t i = 0; i < k; ++i) {
    const RnsPoly& kb = key.b[i];
    const RnsPoly& ka = key.a[i];
    std::copy(c.limb(i), c.limb(i) + n, digit.data());
    qp.ntt(i).inverse(digit.data());  // coefficients of digit i, in [0, q_i)
    // The digit is lifted centred, in (-q_i/2, q_i/2]: lifted from [0, q_i) it
    // would have mean q_i/2, and that constant times the key noise becomes
    // e * (1 + X + ... + X^(N-1)), which is up to ~N times larger in the CKKS
    // slots whose roots lie near 1 (about 3 bits of rotation precision lost).
    const u64 q_i = qp.modulus(i).value(), half_q_i = q_i >> 1;
    for (std::size_t j = 0; j <= k; ++j) {
      const std::size_t key_limb = (j == k) ? key_p_limb : j;
      const math::Modulus& m = qp.modulus(j);
      const u64* src;
      if (j == i) {
        src = c.limb(i);  // already the digit in evaluation form mod q_i
      } else {
        const u64 q_i_mod = m.reduce(q_i);
        for (std::size_t x = 0; x < n; ++x) {
          const u64 r = m.reduce(digit[x]);
          lifted[x] = digit[x] > half_q_i ? math::sub_mod(r, q_i_mod, m) : r;
        }
        qp.ntt(j).forward_lazy(lifted.data());
        src = lifted.data();
      }
      const u64* b = kb.limb(key_limb);
      const u64* a = ka.limb(key_limb);
      u64* z0 = acc0.limb(j);
      u64* z1 = acc1.limb(j);
      for (std::size_t x = 0; x < n; ++x) {
        // src < 4q (lazy NTT), so src * key + acc < 2^128 comfortably.
        z0[x] = m.reduce128(static_cast<u128>(src[x]) * b[x] + z0[x]);
        z1[x] = m.reduce128(static_cast<u128>(src[x]) * a[x] + z1[x]);
      }
    }
  }
  divide_round_by_last(acc0, qp, ctx.noise_factor());
  divide_round_by_last(acc1, qp, ctx.noise_factor());
  d0 = std::move(acc0);
  d1 = std::move(acc1);
}

}  // namespace veil::rlwe
