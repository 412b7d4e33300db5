#include "veil/ring/sampler.h"

#include <sodium.h>

#include <array>
#include <cmath>
#include <vector>

namespace veil::ring {

using math::u128;
using math::u64;

void sample_uniform(Xof& xof, const RnsBasis& basis, Form form, RnsPoly& out) {
  const std::size_t n = basis.n();
  if (out.n() != n || out.limbs() != basis.size()) {
    out = RnsPoly::uninitialized(n, basis.size(), form);
  }
  out.set_form(form);
  std::vector<u64> buf(n);
  for (std::size_t i = 0; i < basis.size(); ++i) {
    const u64 q = basis.modulus(i).value();
    const u64 mask = (1ull << basis.modulus(i).bits()) - 1;  // bits <= 61
    u64* z = out.limb(i);
    // Rejection sampling in bulk; rejected values are public randomness.
    for (std::size_t j = 0; j < n;) {
      const std::size_t want = n - j;
      xof.fill(reinterpret_cast<std::uint8_t*>(buf.data()), want * sizeof(u64));
      for (std::size_t x = 0; x < want; ++x) {
        u64 v = buf[x] & mask;
        z[j] = v;
        j += v < q;
      }
    }
  }
}

void sample_ternary_values(Xof& xof, std::size_t n, std::int64_t* out) {
  std::vector<u64> r(n);
  xof.fill(reinterpret_cast<std::uint8_t*>(r.data()), n * sizeof(u64));
  for (std::size_t j = 0; j < n; ++j) {
    // floor(r * 3 / 2^64) is in {0,1,2}, biased by at most 2^-62.
    u64 v = static_cast<u64>((static_cast<u128>(r[j]) * 3) >> 64);
    out[j] = static_cast<std::int64_t>(v) - 1;
  }
  sodium_memzero(r.data(), r.size() * sizeof(u64));
}

namespace {
// Cumulative distribution table of the discrete Gaussian on [-B, B] as 64-bit
// thresholds: P(X <= -B + i) * 2^64 for i in [0, 2B).
struct GaussianTable {
  std::array<u64, 2 * kNoiseBound> cdt{};
  GaussianTable() {
    long double w[2 * kNoiseBound + 1], total = 0;
    for (int x = -kNoiseBound; x <= kNoiseBound; ++x) {
      w[x + kNoiseBound] =
          std::exp(-static_cast<long double>(x) * x / (2.0L * kNoiseStdDev * kNoiseStdDev));
      total += w[x + kNoiseBound];
    }
    long double cum = 0;
    for (int i = 0; i < 2 * kNoiseBound; ++i) {
      cum += w[i] / total;
      cdt[i] = static_cast<u64>(std::ldexp(cum, 64));
    }
  }
};
const GaussianTable& gaussian_table() {
  static const GaussianTable t;
  return t;
}
}  // namespace

void sample_gaussian_values(Xof& xof, std::size_t n, std::int64_t* out) {
  const auto& cdt = gaussian_table().cdt;
  std::vector<u64> r(n);
  xof.fill(reinterpret_cast<std::uint8_t*>(r.data()), n * sizeof(u64));
  for (std::size_t j = 0; j < n; ++j) out[j] = -kNoiseBound;
  // Full table scan for every sample: x = -B + #{i : r >= cdt[i]}. The
  // comparison is arithmetic (no branch), and the loop order lets the
  // compiler vectorise over samples; timing does not depend on r.
  for (u64 t : cdt) {
    for (std::size_t j = 0; j < n; ++j) out[j] += static_cast<std::int64_t>(r[j] >= t);
  }
  sodium_memzero(r.data(), r.size() * sizeof(u64));
}

void small_to_rns(const std::int64_t* values, const RnsBasis& basis, RnsPoly& out) {
  const std::size_t n = basis.n();
  if (out.n() != n || out.limbs() != basis.size()) {
    out = RnsPoly::uninitialized(n, basis.size(), Form::kCoeff);
  }
  out.set_form(Form::kCoeff);
  for (std::size_t i = 0; i < basis.size(); ++i) {
    const u64 q = basis.modulus(i).value();
    u64* z = out.limb(i);
    for (std::size_t j = 0; j < n; ++j) z[j] = math::signed_to_mod_ct(values[j], q);
  }
}

namespace {
template <typename Draw>
void sample_small(Xof& xof, const RnsBasis& basis, RnsPoly& out, Draw draw) {
  std::vector<std::int64_t> v(basis.n());
  draw(xof, v.size(), v.data());
  small_to_rns(v.data(), basis, out);
  sodium_memzero(v.data(), v.size() * sizeof(std::int64_t));
}
}  // namespace

void sample_ternary(Xof& xof, const RnsBasis& basis, RnsPoly& out) {
  sample_small(xof, basis, out, sample_ternary_values);
}
void sample_gaussian(Xof& xof, const RnsBasis& basis, RnsPoly& out) {
  sample_small(xof, basis, out, sample_gaussian_values);
}

}  // namespace veil::ring
