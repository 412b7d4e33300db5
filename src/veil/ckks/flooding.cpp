#include "veil/ckks/flooding.h"

#include <cmath>
#include <numbers>
#include <vector>

#include "veil/ring/poly_ops.h"
#include "veil/ring/xof.h"
#include "veil/rlwe/errors.h"

namespace veil::ckks {

using math::u64;

void add_flooding_noise(const rlwe::Context& ctx, rlwe::Plaintext& pt, double log2_sigma) {
  if (!(log2_sigma >= 1 && log2_sigma <= 50)) {
    throw std::invalid_argument("add_flooding_noise: log2(sigma) must be in [1, 50], got " +
                                std::to_string(log2_sigma));
  }
  if (ctx.scheme() != rlwe::Scheme::kCkks) {
    throw rlwe::MismatchError("add_flooding_noise: CKKS only (BGV decryption removes the noise)");
  }
  rlwe::require_param_id(pt.param_id, ctx.id(), "add_flooding_noise");
  ctx.require_level(pt.level, "add_flooding_noise");
  const auto& basis = ctx.basis_q(pt.level);
  ring::require_shape(pt.poly, basis, "add_flooding_noise");
  const std::size_t n = ctx.n();
  const double sigma = std::exp2(log2_sigma);

  // Box-Muller on 53-bit uniforms from a fresh CSPRNG stream; |noise| < 2^62
  // since sigma <= 2^50 and the Box-Muller radius is below 9 sigma.
  auto xof = ring::Xof::fresh();
  std::vector<u64> r(n + (n & 1));
  xof.fill(reinterpret_cast<std::uint8_t*>(r.data()), r.size() * sizeof(u64));
  std::vector<std::int64_t> noise(r.size());
  for (std::size_t j = 0; j < r.size(); j += 2) {
    const double u1 = (static_cast<double>(r[j] >> 11) + 1.0) * 0x1p-53;  // (0, 1]
    const double u2 = static_cast<double>(r[j + 1] >> 11) * 0x1p-53;
    const double radius = sigma * std::sqrt(-2.0 * std::log(u1));
    noise[j] = std::llround(radius * std::cos(2 * std::numbers::pi * u2));
    noise[j + 1] = std::llround(radius * std::sin(2 * std::numbers::pi * u2));
  }

  const bool eval = pt.poly.form() == ring::Form::kEval;
  if (eval) ring::to_coeff(pt.poly, basis);
  for (std::size_t i = 0; i < basis.size(); ++i) {
    const math::Modulus& q = basis.modulus(i);
    u64* z = pt.poly.limb(i);
    for (std::size_t j = 0; j < n; ++j) {
      // |v| mod q, negated with a mask when v < 0 (no branch on the noise).
      const std::int64_t v = noise[j];
      const u64 neg = static_cast<u64>(v >> 63);
      const u64 mag = q.reduce((static_cast<u64>(v) ^ neg) - neg);
      const u64 signed_r = (mag ^ neg) - neg;  // -mag mod 2^64 when negative
      // v < 0: q - mag, which is q itself when mag == 0 and add_mod then
      // leaves z unchanged; v >= 0: mag.
      const u64 add = (neg & q.value()) + signed_r;
      z[j] = math::add_mod(z[j], add, q);
    }
  }
  if (eval) ring::to_eval(pt.poly, basis);
}

}  // namespace veil::ckks
