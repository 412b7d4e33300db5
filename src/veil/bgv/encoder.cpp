#include "veil/bgv/encoder.h"

#include <sodium.h>

#include "veil/math/batch_layout.h"
#include "veil/math/primes.h"
#include "veil/ring/poly_ops.h"
#include "veil/rlwe/errors.h"

namespace veil::bgv {

using math::u64;

Encoder::Encoder(rlwe::ContextPtr ctx)
    : ctx_(rlwe::require_scheme(std::move(ctx), rlwe::Scheme::kBgv, "bgv::Encoder")) {
  t_ = ctx_->plain_modulus();
  const u64 t = t_.value(), two_n = 2 * ctx_->n();
  if ((t - 1) % two_n == 0 && math::is_prime(t)) {
    t_ntt_ = std::make_unique<math::NttTables>(ctx_->n(), t_);
    slot_map_ = math::batch_slot_to_ntt_index(ctx_->n());
  }
}

void Encoder::require_batching(const char* what) const {
  if (!batching()) {
    throw rlwe::MismatchError(std::string(what) + ": batching needs a prime t = 1 mod 2N; t = " +
                              std::to_string(t_.value()) + ", 2N = " +
                              std::to_string(2 * ctx_->n()) + " (use coefficient encoding)");
  }
}

rlwe::Plaintext Encoder::lift(const std::vector<u64>& coeffs, std::size_t level) const {
  ctx_->require_level(level, "bgv encode");
  const auto& basis = ctx_->basis_q(level);
  const u64 t = t_.value(), half = t / 2;
  rlwe::Plaintext pt;
  pt.param_id = ctx_->id();
  pt.level = level;
  pt.poly = ring::RnsPoly(ctx_->n(), basis.size(), ring::Form::kCoeff);
  for (std::size_t i = 0; i < basis.size(); ++i) {
    const auto& q = basis.modulus(i);
    u64* z = pt.poly.limb(i);
    for (std::size_t j = 0; j < coeffs.size(); ++j) {
      u64 m = coeffs[j];
      z[j] = m > half ? q.value() - (t - m) : m;  // centred lift; q > t
    }
  }
  ring::to_eval(pt.poly, basis);
  return pt;
}

namespace {
void check_values(std::span<const u64> v, std::size_t n, u64 t, const char* what) {
  if (v.size() > n) {
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(v.size()) +
                                " values for " + std::to_string(n) + " slots");
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] >= t) {
      throw std::invalid_argument(std::string(what) + ": value " + std::to_string(v[i]) +
                                  " at index " + std::to_string(i) +
                                  " is not below t = " + std::to_string(t));
    }
  }
}
}  // namespace

rlwe::Plaintext Encoder::encode(std::span<const u64> slots, std::size_t level) const {
  require_batching("bgv encode");
  check_values(slots, ctx_->n(), t_.value(), "bgv encode");
  std::vector<u64> s(ctx_->n(), 0), coeffs(ctx_->n());
  std::copy(slots.begin(), slots.end(), s.begin());
  math::batch_encode(s.data(), coeffs.data(), slot_map_, *t_ntt_);
  auto pt = lift(coeffs, level);
  sodium_memzero(s.data(), s.size() * sizeof(u64));
  sodium_memzero(coeffs.data(), coeffs.size() * sizeof(u64));
  return pt;
}

rlwe::Plaintext Encoder::encode_signed(std::span<const std::int64_t> slots,
                                       std::size_t level) const {
  const std::int64_t t = static_cast<std::int64_t>(t_.value());
  std::vector<u64> v(slots.size());
  for (std::size_t i = 0; i < slots.size(); ++i) {
    std::int64_t x = slots[i];
    if (x > t / 2 || x < -(t - 1) / 2) {
      throw std::invalid_argument("bgv encode_signed: value " + std::to_string(x) + " at index " +
                                  std::to_string(i) + " is outside (-t/2, t/2]");
    }
    v[i] = static_cast<u64>(x < 0 ? x + t : x);
  }
  return encode(v, level);
}

std::vector<u64> Encoder::to_coefficients_mod_t(const rlwe::Plaintext& pt) const {
  rlwe::require_param_id(pt.param_id, ctx_->id(), "bgv decode");
  ctx_->require_level(pt.level, "bgv decode");
  const auto& basis = ctx_->basis_q(pt.level);
  ring::require_shape(pt.poly, basis, "bgv decode");
  ring::RnsPoly p = pt.poly;
  if (p.form() == ring::Form::kEval) ring::to_coeff(p, basis);
  std::vector<u64> coeffs(ctx_->n());
  ctx_->crt(pt.level).to_centered_mod(p, t_, coeffs.data());
  p.secure_zero();
  return coeffs;
}

std::vector<u64> Encoder::decode(const rlwe::Plaintext& pt) const {
  require_batching("bgv decode");
  auto coeffs = to_coefficients_mod_t(pt);
  std::vector<u64> slots(ctx_->n());
  math::batch_decode(coeffs.data(), slots.data(), slot_map_, *t_ntt_);
  sodium_memzero(coeffs.data(), coeffs.size() * sizeof(u64));
  return slots;
}

std::vector<std::int64_t> Encoder::decode_signed(const rlwe::Plaintext& pt) const {
  auto v = decode(pt);
  const u64 t = t_.value();
  std::vector<std::int64_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    out[i] = v[i] > t / 2 ? static_cast<std::int64_t>(v[i]) - static_cast<std::int64_t>(t)
                          : static_cast<std::int64_t>(v[i]);
  }
  return out;
}

rlwe::Plaintext Encoder::encode_coefficients(std::span<const u64> coeffs, std::size_t level) const {
  check_values(coeffs, ctx_->n(), t_.value(), "bgv encode_coefficients");
  std::vector<u64> c(ctx_->n(), 0);
  std::copy(coeffs.begin(), coeffs.end(), c.begin());
  return lift(c, level);
}

std::vector<u64> Encoder::decode_coefficients(const rlwe::Plaintext& pt) const {
  return to_coefficients_mod_t(pt);
}

}  // namespace veil::bgv
