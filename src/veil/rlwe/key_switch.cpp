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
  // Digit i is limb i of c in coefficient form, in [0, q_i).
  std::vector<u64> digits(k * n);
  for (std::size_t i = 0; i < k; ++i) {
    std::copy(c.limb(i), c.limb(i) + n, digits.data() + i * n);
    qp.ntt(i).inverse(digits.data() + i * n);
  }
  RnsPoly acc0 = RnsPoly::uninitialized(n, k + 1, Form::kEval);
  RnsPoly acc1 = RnsPoly::uninitialized(n, k + 1, Form::kEval);
  // For each target prime, sum digit * key over all digits in 128 bits and
  // reduce once: every operand is below 2^61, so each product is below 2^122
  // and up to 64 of them fit (at most 16 primes here).
  std::vector<u128> sum0(n), sum1(n);
  std::vector<u64> lifted(n);
  for (std::size_t j = 0; j <= k; ++j) {
    const std::size_t key_limb = (j == k) ? key_p_limb : j;
    const math::Modulus& m = qp.modulus(j);
    std::fill(sum0.begin(), sum0.end(), 0);
    std::fill(sum1.begin(), sum1.end(), 0);
    for (std::size_t i = 0; i < k; ++i) {
      const u64* src;
      if (j == i) {
        src = c.limb(i);  // already digit i in evaluation form mod q_i
      } else {
        // Lift centred, in (-q_i/2, q_i/2]: lifted from [0, q_i) the digit
        // would have mean q_i/2, and that constant times the key noise becomes
        // e * (1 + X + ... + X^(N-1)), up to ~N times larger in the CKKS slots
        // whose roots lie near 1 (about 3 bits of rotation precision lost).
        const u64 q_i = qp.modulus(i).value(), half_q_i = q_i >> 1;
        const u64 q_i_mod = m.reduce(q_i);
        const u64* d = digits.data() + i * n;
        for (std::size_t x = 0; x < n; ++x) {
          const u64 r = m.reduce(d[x]);
          lifted[x] = d[x] > half_q_i ? math::sub_mod(r, q_i_mod, m) : r;
        }
        qp.ntt(j).forward(lifted.data());
        src = lifted.data();
      }
      const u64* b = key.b[i].limb(key_limb);
      const u64* a = key.a[i].limb(key_limb);
      for (std::size_t x = 0; x < n; ++x) {
        sum0[x] += static_cast<u128>(src[x]) * b[x];
        sum1[x] += static_cast<u128>(src[x]) * a[x];
      }
    }
    u64* z0 = acc0.limb(j);
    u64* z1 = acc1.limb(j);
    for (std::size_t x = 0; x < n; ++x) {
      z0[x] = m.reduce128(sum0[x]);
      z1[x] = m.reduce128(sum1[x]);
    }
  }
  divide_round_by_last(acc0, qp, ctx.noise_factor());
  divide_round_by_last(acc1, qp, ctx.noise_factor());
  d0 = std::move(acc0);
  d1 = std::move(acc1);
}

}  // namespace veil::rlwe
