#include "veil/rlwe/evaluator.h"

#include <cmath>
#include <sstream>

#include "veil/math/galois.h"
#include "veil/ring/poly_ops.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/key_switch.h"
#include "veil/rlwe/modulus_ops.h"

namespace veil::rlwe {

using ring::Form;
using ring::RnsPoly;

namespace {
// A ciphertext with a's metadata and `size` empty polynomials to be written.
Ciphertext shell(const Ciphertext& a, std::size_t size) {
  Ciphertext r;
  r.param_id = a.param_id;
  r.level = a.level;
  r.scale = a.scale;
  r.polys.resize(size);
  return r;
}
}  // namespace

bool scales_match(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

namespace {
std::string scale_msg(const char* what, double a, double b) {
  std::ostringstream os;
  os << what << ": scales differ (2^" << std::log2(a) << " vs 2^" << std::log2(b)
     << "); rescale or re-encode so they match";
  return os.str();
}
}  // namespace

void Evaluator::check(const Ciphertext& a, const char* what) const {
  require_param_id(a.param_id, ctx_->id(), what);
  ctx_->require_level(a.level, what);
  if (a.size() < 2) {
    throw MismatchError(std::string(what) + ": ciphertext has " + std::to_string(a.size()) +
                        " polynomials, expected at least 2");
  }
  const auto& basis = ctx_->basis_q(a.level);
  for (const auto& p : a.polys) {
    ring::require_shape(p, basis, what);
    if (p.form() != Form::kEval) {
      throw MismatchError(std::string(what) + ": ciphertext must be in evaluation form");
    }
  }
}

void Evaluator::check_pair(const Ciphertext& a, const Ciphertext& b, const char* what) const {
  check(a, what);
  check(b, what);
  if (a.level != b.level) {
    throw MismatchError(std::string(what) + ": levels differ (" + std::to_string(a.level) + " vs " +
                        std::to_string(b.level) + "); bring them to the same level");
  }
}

void Evaluator::check_plain(const Ciphertext& a, const Plaintext& p, const char* what,
                            bool scales) const {
  check(a, what);
  require_param_id(p.param_id, ctx_->id(), what);
  if (p.level != a.level) {
    throw MismatchError(std::string(what) + ": plaintext level " + std::to_string(p.level) +
                        " differs from ciphertext level " + std::to_string(a.level));
  }
  ring::require_shape(p.poly, ctx_->basis_q(a.level), what);
  if (p.poly.form() != Form::kEval) {
    throw MismatchError(std::string(what) + ": plaintext must be in evaluation form");
  }
  if (scales && !scales_match(a.scale, p.scale))
    throw MismatchError(scale_msg(what, a.scale, p.scale));
}

void Evaluator::add(const Ciphertext& a, const Ciphertext& b, Ciphertext& out) const {
  check_pair(a, b, "add");
  if (!scales_match(a.scale, b.scale)) throw MismatchError(scale_msg("add", a.scale, b.scale));
  const auto& basis = ctx_->basis_q(a.level);
  const Ciphertext& big = a.size() >= b.size() ? a : b;
  const Ciphertext& small = a.size() >= b.size() ? b : a;
  Ciphertext r = shell(a, big.size());
  for (std::size_t i = 0; i < big.size(); ++i) {
    if (i < small.size()) {
      ring::add(big.polys[i], small.polys[i], r.polys[i], basis);
    } else {
      r.polys[i] = big.polys[i];
    }
  }
  out = std::move(r);
}

void Evaluator::sub(const Ciphertext& a, const Ciphertext& b, Ciphertext& out) const {
  check_pair(a, b, "sub");
  if (!scales_match(a.scale, b.scale)) throw MismatchError(scale_msg("sub", a.scale, b.scale));
  const auto& basis = ctx_->basis_q(a.level);
  Ciphertext r = shell(a, std::max(a.size(), b.size()));
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (i < a.size() && i < b.size()) {
      ring::sub(a.polys[i], b.polys[i], r.polys[i], basis);
    } else if (i < a.size()) {
      r.polys[i] = a.polys[i];
    } else {
      ring::negate(b.polys[i], r.polys[i], basis);
    }
  }
  out = std::move(r);
}

void Evaluator::negate(const Ciphertext& a, Ciphertext& out) const {
  check(a, "negate");
  const auto& basis = ctx_->basis_q(a.level);
  Ciphertext r = shell(a, a.size());
  for (std::size_t i = 0; i < a.size(); ++i) ring::negate(a.polys[i], r.polys[i], basis);
  out = std::move(r);
}

void Evaluator::add_plain(const Ciphertext& a, const Plaintext& p, Ciphertext& out) const {
  check_plain(a, p, "add_plain", true);
  Ciphertext r = shell(a, a.size());
  ring::add(a.polys[0], p.poly, r.polys[0], ctx_->basis_q(a.level));
  for (std::size_t i = 1; i < a.size(); ++i) r.polys[i] = a.polys[i];
  out = std::move(r);
}

void Evaluator::sub_plain(const Ciphertext& a, const Plaintext& p, Ciphertext& out) const {
  check_plain(a, p, "sub_plain", true);
  Ciphertext r = shell(a, a.size());
  ring::sub(a.polys[0], p.poly, r.polys[0], ctx_->basis_q(a.level));
  for (std::size_t i = 1; i < a.size(); ++i) r.polys[i] = a.polys[i];
  out = std::move(r);
}

void Evaluator::multiply_plain(const Ciphertext& a, const Plaintext& p, Ciphertext& out) const {
  check_plain(a, p, "multiply_plain", false);
  const auto& basis = ctx_->basis_q(a.level);
  Ciphertext r = shell(a, a.size());
  for (std::size_t i = 0; i < a.size(); ++i) ring::multiply(a.polys[i], p.poly, r.polys[i], basis);
  r.scale = a.scale * p.scale;
  out = std::move(r);
}

void Evaluator::multiply(const Ciphertext& a, const Ciphertext& b, Ciphertext& out) const {
  check_pair(a, b, "multiply");
  const auto& basis = ctx_->basis_q(a.level);
  Ciphertext r = shell(a, a.size() + b.size() - 1);
  r.scale = a.scale * b.scale;
  if (r.size() == 3) {  // the common case: one reduction per output coefficient
    ring::tensor(a.polys[0], a.polys[1], b.polys[0], b.polys[1], r.polys[0], r.polys[1], r.polys[2],
                 basis);
  } else {
    for (auto& p : r.polys) p = RnsPoly(basis.n(), basis.size(), Form::kEval);
    for (std::size_t i = 0; i < a.size(); ++i) {
      for (std::size_t j = 0; j < b.size(); ++j) {
        ring::multiply_accumulate(a.polys[i], b.polys[j], r.polys[i + j], basis);
      }
    }
  }
  out = std::move(r);
}

void Evaluator::relinearize(const Ciphertext& a, const RelinKey& rk, Ciphertext& out) const {
  check(a, "relinearize");
  if (a.size() != 3) {
    throw MismatchError("relinearize: expected a size-3 ciphertext, got size " +
                        std::to_string(a.size()));
  }
  RnsPoly d0, d1;
  key_switch(*ctx_, a.polys[2], a.level, rk.key, d0, d1);
  const auto& basis = ctx_->basis_q(a.level);
  Ciphertext r;
  r.param_id = a.param_id;
  r.level = a.level;
  r.scale = a.scale;
  r.polys.resize(2);
  ring::add(a.polys[0], d0, r.polys[0], basis);
  ring::add(a.polys[1], d1, r.polys[1], basis);
  out = std::move(r);
}

void Evaluator::apply_galois(const Ciphertext& a, std::uint64_t galois_elt, const GaloisKeys& gk,
                             Ciphertext& out) const {
  check(a, "apply_galois");
  require_param_id(gk.param_id, ctx_->id(), "apply_galois");
  if (a.size() != 2) {
    throw MismatchError("apply_galois: relinearise first (ciphertext size " +
                        std::to_string(a.size()) + ")");
  }
  math::check_galois_elt(galois_elt, ctx_->n(), "apply_galois");
  auto it = gk.keys.find(galois_elt);
  if (it == gk.keys.end()) {
    throw MismatchError("apply_galois: no Galois key for element " + std::to_string(galois_elt));
  }
  const auto& perm = ctx_->galois_permutation(galois_elt);
  const auto& basis = ctx_->basis_q(a.level);
  const std::size_t n = basis.n();
  RnsPoly c0(n, basis.size(), Form::kEval), c1(n, basis.size(), Form::kEval);
  for (std::size_t i = 0; i < basis.size(); ++i) {
    math::apply_galois_ntt(a.polys[0].limb(i), c0.limb(i), perm, n);
    math::apply_galois_ntt(a.polys[1].limb(i), c1.limb(i), perm, n);
  }
  RnsPoly d0, d1;
  key_switch(*ctx_, c1, a.level, it->second, d0, d1);
  Ciphertext r;
  r.param_id = a.param_id;
  r.level = a.level;
  r.scale = a.scale;
  r.polys.resize(2);
  ring::add(c0, d0, r.polys[0], basis);
  r.polys[1] = std::move(d1);
  out = std::move(r);
}

void Evaluator::divide_by_last_prime(const Ciphertext& a, Ciphertext& out) const {
  check(a, "divide_by_last_prime");
  if (a.level == 0) throw MismatchError("divide_by_last_prime: already at level 0");
  const auto& basis = ctx_->basis_q(a.level);
  Ciphertext r = shell(a, a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    divide_round_by_last(a.polys[i], r.polys[i], basis, ctx_->noise_factor());
  }
  r.level = a.level - 1;
  if (ctx_->scheme() == Scheme::kCkks) {
    r.scale = a.scale / static_cast<double>(basis.modulus(a.level).value());
  }
  out = std::move(r);
}

void Evaluator::drop_to_level(const Ciphertext& a, std::size_t level, Ciphertext& out) const {
  check(a, "drop_to_level");
  if (level > a.level) {
    throw MismatchError("drop_to_level: target level " + std::to_string(level) +
                        " is above the ciphertext level " + std::to_string(a.level));
  }
  Ciphertext r = a;
  for (auto& p : r.polys) p.drop_to(level + 1);
  r.level = level;
  out = std::move(r);
}

}  // namespace veil::rlwe
