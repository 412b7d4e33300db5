#include "veil/rlwe/rlwe_sample.h"

#include <vector>

#include "veil/ring/poly_ops.h"
#include "veil/ring/sampler.h"

namespace veil::rlwe {

using math::u64;
using ring::RnsPoly;

RnsPoly sample_scaled_noise(const Context& ctx, ring::Xof& xof, const ring::RnsBasis& basis) {
  RnsPoly e;
  ring::sample_gaussian(xof, basis, e);
  ring::to_eval(e, basis);
  if (ctx.noise_factor() != 1) {
    std::vector<u64> f(basis.size(), ctx.noise_factor());
    ring::multiply_scalar(e, f, e, basis);
  }
  return e;
}

void add_minus_as(const ring::RnsBasis& basis, const RnsPoly& s, const RnsPoly& a, const RnsPoly* m,
                  RnsPoly& acc) {
  const std::size_t n = basis.n();
  for (std::size_t l = 0; l < basis.size(); ++l) {
    const math::Modulus& q = basis.modulus(l);
    const u64 *sl = s.limb(l), *al = a.limb(l), *ml = m ? m->limb(l) : nullptr;
    u64* z = acc.limb(l);
    for (std::size_t j = 0; j < n; ++j) {
      const u64 as = q.reduce128(static_cast<math::u128>(al[j]) * sl[j]);
      const u64 base = ml ? math::add_mod(z[j], ml[j], q) : z[j];
      z[j] = math::sub_mod(base, as, q);
    }
  }
}

}  // namespace veil::rlwe
