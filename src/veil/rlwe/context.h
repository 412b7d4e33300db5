// The per-parameter-set precomputation shared by every key, plaintext and
// ciphertext of that set: NTT tables for each prime, the bases of each level,
// CRT composers for decoding, and Galois permutations (built on first use).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "veil/math/modarith.h"
#include "veil/ring/crt.h"
#include "veil/ring/rns_poly.h"
#include "veil/rlwe/params.h"

namespace veil::rlwe {

class Context {
 public:
  static std::shared_ptr<const Context> create(std::shared_ptr<const Parameters> params);
  static std::shared_ptr<const Context> create(const ParameterLiteral& lit) {
    return create(Parameters::create(lit));
  }

  const Parameters& params() const { return *params_; }
  std::shared_ptr<const Parameters> params_ptr() const { return params_; }
  std::uint64_t id() const { return params_->id(); }
  Scheme scheme() const { return params_->scheme(); }
  std::size_t n() const { return params_->n(); }
  std::size_t max_level() const { return params_->max_level(); }

  // q_0..q_level.
  const ring::RnsBasis& basis_q(std::size_t level) const { return basis_q_.at(level); }
  // q_0..q_level followed by the special prime P.
  const ring::RnsBasis& basis_qp(std::size_t level) const { return basis_qp_.at(level); }
  // Every prime: q_0..q_L, P (the layout of secret and switching keys).
  const ring::RnsBasis& key_basis() const { return basis_qp_.back(); }
  const ring::PrimeData& special_prime() const { return *primes_.back(); }

  // Noise is multiplied by this factor: t for BGV (so it vanishes mod t), 1 for CKKS.
  math::u64 noise_factor() const { return params_->scheme() == Scheme::kBgv ? params_->t() : 1; }
  const math::Modulus& plain_modulus() const { return t_; }  // BGV only

  const ring::CrtComposer& crt(std::size_t level) const { return *crt_.at(level); }

  // NTT-domain permutation for X -> X^galois_elt (cached, thread-safe).
  const std::vector<std::uint32_t>& galois_permutation(std::uint64_t galois_elt) const;

  // Throws MismatchError if `level` is above the top level.
  void require_level(std::size_t level, const char* what) const;

 private:
  explicit Context(std::shared_ptr<const Parameters> params);
  std::shared_ptr<const Parameters> params_;
  std::vector<std::unique_ptr<ring::PrimeData>> primes_;  // q_0..q_L, P
  std::vector<ring::RnsBasis> basis_q_, basis_qp_;
  std::vector<std::unique_ptr<ring::CrtComposer>> crt_;
  math::Modulus t_;
  mutable std::mutex galois_mutex_;
  mutable std::map<std::uint64_t, std::unique_ptr<std::vector<std::uint32_t>>> galois_;
};

using ContextPtr = std::shared_ptr<const Context>;

// Returns ctx, or throws MismatchError when it is null or for another scheme.
ContextPtr require_scheme(ContextPtr ctx, Scheme scheme, const char* who);

}  // namespace veil::rlwe
