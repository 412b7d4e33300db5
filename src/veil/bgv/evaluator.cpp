#include "veil/bgv/evaluator.h"

#include <cmath>

#include "veil/math/galois.h"
#include "veil/ring/poly_ops.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/errors.h"

namespace veil::bgv {

Evaluator::Evaluator(rlwe::ContextPtr ctx)
    : ctx_(rlwe::require_scheme(std::move(ctx), rlwe::Scheme::kBgv, "bgv::Evaluator")),
      core_(ctx_) {}

void Evaluator::multiply_const(const Ct& a, std::uint64_t c, Ct& out) const {
  const std::uint64_t t = ctx_->params().t();
  if (c >= t) {
    throw std::invalid_argument("bgv multiply_const: constant " + std::to_string(c) +
                                " is not below t = " + std::to_string(t));
  }
  rlwe::require_param_id(a.param_id, ctx_->id(), "multiply_const");
  ctx_->require_level(a.level, "multiply_const");
  const auto& basis = ctx_->basis_q(a.level);
  // Centred lift keeps the noise growth at |c| <= t/2.
  std::vector<std::uint64_t> per_limb(basis.size());
  for (std::size_t i = 0; i < basis.size(); ++i) {
    const std::uint64_t q = basis.modulus(i).value();
    per_limb[i] = c > t / 2 ? q - (t - c) : c;
  }
  Ct r = a;
  for (auto& p : r.polys) ring::multiply_scalar(p, per_limb, p, basis);
  out = std::move(r);
}

void Evaluator::mod_switch_to(const Ct& a, std::size_t level, Ct& out) const {
  if (level > a.level) {
    throw rlwe::MismatchError("mod_switch_to: target level " + std::to_string(level) +
                              " is above the ciphertext level " + std::to_string(a.level));
  }
  Ct r = a;
  while (r.level > level) core_.divide_by_last_prime(r, r);
  out = std::move(r);
}

void Evaluator::rotate_columns(const Ct& a, int steps, const rlwe::GaloisKeys& gk, Ct& out) const {
  core_.apply_galois(a, math::galois_elt_from_step(steps, ctx_->n(), 3), gk, out);
}

void Evaluator::swap_rows(const Ct& a, const rlwe::GaloisKeys& gk, Ct& out) const {
  core_.apply_galois(a, math::galois_elt_conjugate(ctx_->n()), gk, out);
}

std::vector<std::uint64_t> Evaluator::galois_elts(const std::vector<int>& column_steps,
                                                  bool row_swap) const {
  std::vector<std::uint64_t> g;
  for (int s : column_steps) g.push_back(math::galois_elt_from_step(s, ctx_->n(), 3));
  if (row_swap) g.push_back(math::galois_elt_conjugate(ctx_->n()));
  return g;
}

double noise_budget_bits(const rlwe::ContextPtr& ctx_ptr, const rlwe::SecretKey& sk,
                         const rlwe::Ciphertext& ct) {
  const rlwe::Context& ctx = *ctx_ptr;
  auto pt = rlwe::Decryptor(ctx_ptr, sk).decrypt(ct);
  const auto& basis = ctx.basis_q(ct.level);
  ring::to_coeff(pt.poly, basis);
  std::vector<long double> v(ctx.n());
  ctx.crt(ct.level).to_centered_long_double(pt.poly, v.data());
  long double worst = 1;
  for (auto x : v) worst = std::max(worst, std::fabs(x));
  long double log_q = 0;
  for (std::size_t i = 0; i < basis.size(); ++i)
    log_q += std::log2(static_cast<long double>(basis.modulus(i).value()));
  return static_cast<double>(log_q - 1 - std::log2(worst));
}

}  // namespace veil::bgv
