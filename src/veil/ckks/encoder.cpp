#include "veil/ckks/encoder.h"

#include <sodium.h>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "veil/ring/poly_ops.h"
#include "veil/rlwe/errors.h"

namespace veil::ckks {

using math::u64;
using ring::Form;
using ring::RnsPoly;

namespace {

constexpr long double kTwo32 = 4294967296.0L;
constexpr long double kTwo63 = 9223372036854775808.0L;

template <typename T>
void wipe(std::vector<T>& v) {
  if (!v.empty()) sodium_memzero(v.data(), v.size() * sizeof(T));
}

std::string fmt_log2(long double x) {
  std::ostringstream os;
  os << "2^" << static_cast<double>(std::log2(x));
  return os.str();
}

// |x| (an integral long double >= 2^63) as 32-bit digits, least significant first.
void to_digits(long double x, std::vector<u64>& digits) {
  digits.clear();
  while (x > 0) {
    const long double d = std::fmod(x, kTwo32);  // exact
    digits.push_back(static_cast<u64>(d));
    x = (x - d) / kTwo32;  // exact: x - d is a multiple of 2^32
  }
}

}  // namespace

Encoder::Encoder(rlwe::ContextPtr ctx)
    : ctx_(rlwe::require_scheme(std::move(ctx), rlwe::Scheme::kCkks, "ckks::Encoder")),
      embedding_(ctx_->n()) {}

void Encoder::check_scale_and_level(double scale, std::size_t level, const char* what) const {
  if (!std::isfinite(scale) || scale <= 0) {
    std::ostringstream os;
    os << what << ": scale must be positive and finite, got " << scale;
    throw std::invalid_argument(os.str());
  }
  ctx_->require_level(level, what);
}

rlwe::Plaintext Encoder::from_coefficients(std::span<const double> coeffs, double scale,
                                           std::size_t level, const char* what) const {
  const auto& basis = ctx_->basis_q(level);
  const std::size_t n = ctx_->n(), limbs = basis.size();
  // Q_level / 2 as a long double; a 2^-60 relative margin covers its rounding.
  long double half_q = 0.5L;
  for (std::size_t i = 0; i < limbs; ++i)
    half_q *= static_cast<long double>(basis.modulus(i).value());
  const long double limit = half_q * (1.0L - 0x1p-60L);

  rlwe::Plaintext pt;
  pt.param_id = ctx_->id();
  pt.level = level;
  pt.scale = scale;
  pt.poly = RnsPoly(n, limbs, Form::kCoeff);
  std::vector<u64> digits;
  for (std::size_t j = 0; j < n; ++j) {
    const long double x =
        std::round(static_cast<long double>(coeffs[j]) * static_cast<long double>(scale));
    const long double mag = std::fabs(x);
    if (!std::isfinite(x) || mag >= limit) {
      pt.poly.secure_zero();
      std::ostringstream os;
      os << what << ": coefficient " << j << " scaled to " << fmt_log2(mag)
         << ", which does not fit below Q_level/2 = " << fmt_log2(half_q) << " at level " << level
         << "; lower the scale or the values, or encode at a higher level";
      throw std::invalid_argument(os.str());
    }
    const bool negative = x < 0;
    if (mag < kTwo63) {
      const u64 v = static_cast<u64>(mag);
      for (std::size_t i = 0; i < limbs; ++i) {
        const u64 r = basis.modulus(i).reduce(v);
        pt.poly.limb(i)[j] = negative ? math::neg_mod(r, basis.modulus(i)) : r;
      }
      continue;
    }
    to_digits(mag, digits);
    for (std::size_t i = 0; i < limbs; ++i) {
      const math::Modulus& q = basis.modulus(i);
      u64 r = 0;
      for (std::size_t d = digits.size(); d-- > 0;) {
        r = q.reduce128((static_cast<math::u128>(r) << 32) + digits[d]);
      }
      pt.poly.limb(i)[j] = negative ? math::neg_mod(r, q) : r;
    }
  }
  wipe(digits);
  ring::to_eval(pt.poly, basis);
  return pt;
}

rlwe::Plaintext Encoder::encode(std::span<const std::complex<double>> values, double scale,
                                std::size_t level) const {
  check_scale_and_level(scale, level, "ckks::Encoder::encode");
  const std::size_t slots = slot_count();
  if (values.size() > slots) {
    throw std::invalid_argument("ckks::Encoder::encode: " + std::to_string(values.size()) +
                                " values given, at most " + std::to_string(slots) + " slots");
  }
  std::vector<std::complex<double>> padded(slots);
  for (std::size_t j = 0; j < values.size(); ++j) {
    if (!std::isfinite(values[j].real()) || !std::isfinite(values[j].imag())) {
      wipe(padded);
      throw std::invalid_argument("ckks::Encoder::encode: value " + std::to_string(j) +
                                  " is not finite (NaN or infinity)");
    }
    padded[j] = values[j];
  }
  std::vector<double> coeffs(ctx_->n());
  embedding_.encode(padded.data(), coeffs.data());
  wipe(padded);
  try {
    auto pt = from_coefficients(coeffs, scale, level, "ckks::Encoder::encode");
    wipe(coeffs);
    return pt;
  } catch (...) {
    wipe(coeffs);
    throw;
  }
}

rlwe::Plaintext Encoder::encode(std::span<const double> values, double scale,
                                std::size_t level) const {
  std::vector<std::complex<double>> c(values.begin(), values.end());
  try {
    auto pt = encode(c, scale, level);
    wipe(c);
    return pt;
  } catch (...) {
    wipe(c);
    throw;
  }
}

rlwe::Plaintext Encoder::encode_constant(double value, double scale, std::size_t level) const {
  return encode_constant(std::complex<double>(value, 0.0), scale, level);
}

rlwe::Plaintext Encoder::encode_constant(std::complex<double> value, double scale,
                                         std::size_t level) const {
  check_scale_and_level(scale, level, "ckks::Encoder::encode_constant");
  if (!std::isfinite(value.real()) || !std::isfinite(value.imag())) {
    throw std::invalid_argument("ckks::Encoder::encode_constant: value is not finite");
  }
  // a + b X^(N/2): X^(N/2) evaluates to zeta^(5^j N/2) = i^(5^j) = i in every slot.
  std::vector<double> coeffs(ctx_->n(), 0.0);
  coeffs[0] = value.real();
  coeffs[ctx_->n() / 2] = value.imag();
  auto pt = from_coefficients(coeffs, scale, level, "ckks::Encoder::encode_constant");
  wipe(coeffs);
  return pt;
}

std::vector<std::complex<double>> Encoder::decode(const rlwe::Plaintext& pt) const {
  const char* what = "ckks::Encoder::decode";
  rlwe::require_param_id(pt.param_id, ctx_->id(), what);
  ctx_->require_level(pt.level, what);
  const auto& basis = ctx_->basis_q(pt.level);
  ring::require_shape(pt.poly, basis, what);
  if (!std::isfinite(pt.scale) || pt.scale <= 0) {
    std::ostringstream os;
    os << what << ": plaintext scale must be positive and finite, got " << pt.scale;
    throw std::invalid_argument(os.str());
  }
  const std::size_t n = ctx_->n();
  RnsPoly p = pt.poly;
  if (p.form() == Form::kEval) ring::to_coeff(p, basis);
  std::vector<long double> wide(n);
  ctx_->crt(pt.level).to_centered_long_double(p, wide.data());
  p.secure_zero();
  std::vector<double> coeffs(n);
  const long double scale = pt.scale;
  for (std::size_t j = 0; j < n; ++j) coeffs[j] = static_cast<double>(wide[j] / scale);
  wipe(wide);
  std::vector<std::complex<double>> slots(slot_count());
  embedding_.decode(coeffs.data(), slots.data());
  wipe(coeffs);
  return slots;
}

std::vector<double> Encoder::decode_real(const rlwe::Plaintext& pt) const {
  auto slots = decode(pt);
  std::vector<double> out(slots.size());
  for (std::size_t j = 0; j < slots.size(); ++j) out[j] = slots[j].real();
  wipe(slots);
  return out;
}

}  // namespace veil::ckks
