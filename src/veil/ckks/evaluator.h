// CKKS homomorphic operations on top of the scheme-agnostic rlwe::Evaluator.
//
// Ciphertexts stay in evaluation form. Products multiply scales; rescale()
// divides by the last prime of the level (and the scale by that prime), one
// level down. Additions need equal levels and matching scales; a mismatch is
// an rlwe::MismatchError that names both values, raised before any work.
//
// Slot conventions follow math::CkksEmbedding: rotate(ct, k) moves slot j + k
// to slot j (left rotation for k > 0, right for k < 0, modulo N/2 slots);
// conjugate() conjugates every slot.
#pragma once

#include <complex>
#include <cstdint>
#include <vector>

#include "veil/ckks/encoder.h"
#include "veil/rlwe/evaluator.h"

namespace veil::ckks {

class Evaluator {
 public:
  // Throws rlwe::MismatchError unless ctx is a CKKS context.
  explicit Evaluator(rlwe::ContextPtr ctx);

  const rlwe::Context& context() const { return *ctx_; }
  const rlwe::Evaluator& core() const { return core_; }
  const Encoder& encoder() const { return encoder_; }

  // Passthroughs to rlwe::Evaluator (same checks, same semantics).
  void add(const rlwe::Ciphertext& a, const rlwe::Ciphertext& b, rlwe::Ciphertext& out) const;
  void sub(const rlwe::Ciphertext& a, const rlwe::Ciphertext& b, rlwe::Ciphertext& out) const;
  void negate(const rlwe::Ciphertext& a, rlwe::Ciphertext& out) const;
  void add_plain(const rlwe::Ciphertext& a, const rlwe::Plaintext& p, rlwe::Ciphertext& out) const;
  void sub_plain(const rlwe::Ciphertext& a, const rlwe::Plaintext& p, rlwe::Ciphertext& out) const;
  void multiply_plain(const rlwe::Ciphertext& a, const rlwe::Plaintext& p,
                      rlwe::Ciphertext& out) const;
  // Size s + t - 1, scale a.scale * b.scale; no relinearisation or rescaling.
  void multiply(const rlwe::Ciphertext& a, const rlwe::Ciphertext& b, rlwe::Ciphertext& out) const;
  void relinearize(const rlwe::Ciphertext& a, const rlwe::RelinKey& rk,
                   rlwe::Ciphertext& out) const;
  void drop_to_level(const rlwe::Ciphertext& a, std::size_t level, rlwe::Ciphertext& out) const;

  // Divides by the last prime q_l (rounding), level l -> l-1, scale / q_l.
  void rescale(const rlwe::Ciphertext& a, rlwe::Ciphertext& out) const;
  // multiply, relinearize, rescale.
  void multiply_relin_rescale(const rlwe::Ciphertext& a, const rlwe::Ciphertext& b,
                              const rlwe::RelinKey& rk, rlwe::Ciphertext& out) const;

  // Multiplies every slot by c, encoded as a constant at `const_scale`; the
  // result has scale a.scale * const_scale and is not rescaled. const_scale = 0
  // picks the last prime q_l of a's level, so that rescale() afterwards brings
  // the scale back to a.scale (at level 0 there is no such prime: give a scale).
  void multiply_const(const rlwe::Ciphertext& a, double c, rlwe::Ciphertext& out,
                      double const_scale = 0) const;
  void multiply_const(const rlwe::Ciphertext& a, std::complex<double> c, rlwe::Ciphertext& out,
                      double const_scale = 0) const;
  // Adds c to every slot (encoded at a's scale and level).
  void add_const(const rlwe::Ciphertext& a, double c, rlwe::Ciphertext& out) const;
  void add_const(const rlwe::Ciphertext& a, std::complex<double> c, rlwe::Ciphertext& out) const;

  // Rotates the slots left by `steps` (right when negative), modulo N/2, using
  // the Galois key for 5^steps mod 2N. steps = 0 (mod N/2) copies.
  void rotate(const rlwe::Ciphertext& a, int steps, const rlwe::GaloisKeys& gk,
              rlwe::Ciphertext& out) const;
  // Complex conjugation of every slot (Galois element 2N - 1).
  void conjugate(const rlwe::Ciphertext& a, const rlwe::GaloisKeys& gk,
                 rlwe::Ciphertext& out) const;

  // The Galois element rotate() uses for `steps` (1 for a multiple of N/2).
  std::uint64_t galois_elt_for_rotation(int steps) const;
  std::uint64_t galois_elt_for_conjugation() const;
  // Distinct Galois elements to pass to rlwe::KeyGenerator::galois_keys for
  // these rotations (multiples of N/2 need none), plus conjugation if asked.
  std::vector<std::uint64_t> galois_elts_for_rotations(const std::vector<int>& steps,
                                                       bool with_conjugation = false) const;

  // Drops the higher-level ciphertext of the two to the other's level (in
  // place; scales are unchanged).
  void match_level(rlwe::Ciphertext& a, rlwe::Ciphertext& b) const;

 private:
  rlwe::ContextPtr ctx_;
  rlwe::Evaluator core_;
  Encoder encoder_;
};

}  // namespace veil::ckks
