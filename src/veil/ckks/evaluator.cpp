#include "veil/ckks/evaluator.h"

#include <algorithm>
#include <string>

#include "veil/math/galois.h"
#include "veil/rlwe/errors.h"

namespace veil::ckks {

using rlwe::Ciphertext;
using rlwe::Plaintext;

Evaluator::Evaluator(rlwe::ContextPtr ctx)
    : ctx_(rlwe::require_scheme(std::move(ctx), rlwe::Scheme::kCkks, "ckks::Evaluator")),
      core_(ctx_),
      encoder_(ctx_) {}

void Evaluator::add(const Ciphertext& a, const Ciphertext& b, Ciphertext& out) const {
  core_.add(a, b, out);
}
void Evaluator::sub(const Ciphertext& a, const Ciphertext& b, Ciphertext& out) const {
  core_.sub(a, b, out);
}
void Evaluator::negate(const Ciphertext& a, Ciphertext& out) const { core_.negate(a, out); }
void Evaluator::add_plain(const Ciphertext& a, const Plaintext& p, Ciphertext& out) const {
  core_.add_plain(a, p, out);
}
void Evaluator::sub_plain(const Ciphertext& a, const Plaintext& p, Ciphertext& out) const {
  core_.sub_plain(a, p, out);
}
void Evaluator::multiply_plain(const Ciphertext& a, const Plaintext& p, Ciphertext& out) const {
  core_.multiply_plain(a, p, out);
}
void Evaluator::multiply(const Ciphertext& a, const Ciphertext& b, Ciphertext& out) const {
  core_.multiply(a, b, out);
}
void Evaluator::relinearize(const Ciphertext& a, const rlwe::RelinKey& rk, Ciphertext& out) const {
  core_.relinearize(a, rk, out);
}
void Evaluator::drop_to_level(const Ciphertext& a, std::size_t level, Ciphertext& out) const {
  core_.drop_to_level(a, level, out);
}

void Evaluator::rescale(const Ciphertext& a, Ciphertext& out) const {
  core_.divide_by_last_prime(a, out);
}

void Evaluator::multiply_relin_rescale(const Ciphertext& a, const Ciphertext& b,
                                       const rlwe::RelinKey& rk, Ciphertext& out) const {
  Ciphertext t;
  core_.multiply(a, b, t);
  core_.relinearize(t, rk, t);
  rescale(t, out);
}

void Evaluator::multiply_const(const Ciphertext& a, double c, Ciphertext& out,
                               double const_scale) const {
  multiply_const(a, std::complex<double>(c, 0.0), out, const_scale);
}

void Evaluator::multiply_const(const Ciphertext& a, std::complex<double> c, Ciphertext& out,
                               double const_scale) const {
  const char* what = "ckks::Evaluator::multiply_const";
  rlwe::require_param_id(a.param_id, ctx_->id(), what);
  ctx_->require_level(a.level, what);
  if (const_scale == 0) {
    if (a.level == 0) {
      throw rlwe::MismatchError(std::string(what) +
                                ": ciphertext is at level 0, where no prime is left to rescale "
                                "by; pass an explicit const_scale");
    }
    const_scale = static_cast<double>(ctx_->basis_q(a.level).modulus(a.level).value());
  }
  Plaintext p = encoder_.encode_constant(c, const_scale, a.level);
  core_.multiply_plain(a, p, out);
}

void Evaluator::add_const(const Ciphertext& a, double c, Ciphertext& out) const {
  add_const(a, std::complex<double>(c, 0.0), out);
}

void Evaluator::add_const(const Ciphertext& a, std::complex<double> c, Ciphertext& out) const {
  const char* what = "ckks::Evaluator::add_const";
  rlwe::require_param_id(a.param_id, ctx_->id(), what);
  ctx_->require_level(a.level, what);
  Plaintext p = encoder_.encode_constant(c, a.scale, a.level);
  core_.add_plain(a, p, out);
}

std::uint64_t Evaluator::galois_elt_for_rotation(int steps) const {
  const long long slots = static_cast<long long>(ctx_->n() / 2);
  long long k = static_cast<long long>(steps) % slots;  // (-slots, slots)
  if (k < 0) k += slots;                                // 5 has order N/2 mod 2N
  return math::galois_elt_from_step(static_cast<int>(k), ctx_->n(), 5);
}

std::uint64_t Evaluator::galois_elt_for_conjugation() const {
  return math::galois_elt_conjugate(ctx_->n());
}

std::vector<std::uint64_t> Evaluator::galois_elts_for_rotations(const std::vector<int>& steps,
                                                                bool with_conjugation) const {
  std::vector<std::uint64_t> elts;
  for (int s : steps) {
    const std::uint64_t g = galois_elt_for_rotation(s);
    if (g != 1 && std::find(elts.begin(), elts.end(), g) == elts.end()) elts.push_back(g);
  }
  if (with_conjugation) {
    const std::uint64_t g = galois_elt_for_conjugation();
    if (std::find(elts.begin(), elts.end(), g) == elts.end()) elts.push_back(g);
  }
  return elts;
}

void Evaluator::rotate(const Ciphertext& a, int steps, const rlwe::GaloisKeys& gk,
                       Ciphertext& out) const {
  const std::uint64_t g = galois_elt_for_rotation(steps);
  if (g == 1) {
    // Still validate the operand as every other operation does.
    core_.drop_to_level(a, a.level, out);
    return;
  }
  core_.apply_galois(a, g, gk, out);
}

void Evaluator::conjugate(const Ciphertext& a, const rlwe::GaloisKeys& gk, Ciphertext& out) const {
  core_.apply_galois(a, galois_elt_for_conjugation(), gk, out);
}

void Evaluator::match_level(Ciphertext& a, Ciphertext& b) const {
  if (a.level > b.level) {
    core_.drop_to_level(a, b.level, a);
  } else if (b.level > a.level) {
    core_.drop_to_level(b, a.level, b);
  }
}

}  // namespace veil::ckks
