// Homomorphic operations common to BGV and CKKS. Ciphertexts stay in
// evaluation form, so products are pointwise; the scheme layers add their
// encoders and the scheme-specific steps (CKKS rescale, BGV modulus switch)
// on top of this. Every operation checks parameter ids, levels, sizes and
// (for CKKS) scales before doing any work.
#pragma once

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"

namespace veil::rlwe {

class Evaluator {
 public:
  explicit Evaluator(ContextPtr ctx) : ctx_(std::move(ctx)) {}
  const Context& context() const { return *ctx_; }

  // Ciphertexts of equal level and scale; sizes may differ.
  void add(const Ciphertext& a, const Ciphertext& b, Ciphertext& out) const;
  void sub(const Ciphertext& a, const Ciphertext& b, Ciphertext& out) const;
  void negate(const Ciphertext& a, Ciphertext& out) const;
  void add_plain(const Ciphertext& a, const Plaintext& p, Ciphertext& out) const;
  void sub_plain(const Ciphertext& a, const Plaintext& p, Ciphertext& out) const;
  // Scales multiply.
  void multiply_plain(const Ciphertext& a, const Plaintext& p, Ciphertext& out) const;
  // Tensor product: size s + t - 1 (3 for two fresh ciphertexts); scales multiply.
  void multiply(const Ciphertext& a, const Ciphertext& b, Ciphertext& out) const;
  // Size 3 -> 2 with the relinearisation key.
  void relinearize(const Ciphertext& a, const RelinKey& rk, Ciphertext& out) const;
  // X -> X^galois_elt on a size-2 ciphertext, switched back to s.
  void apply_galois(const Ciphertext& a, std::uint64_t galois_elt, const GaloisKeys& gk,
                    Ciphertext& out) const;
  // Divides by the last prime with rounding, one level down. CKKS: the scale is
  // divided by that prime (rescaling). BGV: the message is kept (primes = 1 mod t).
  void divide_by_last_prime(const Ciphertext& a, Ciphertext& out) const;
  // Drops primes without dividing (the message and noise stay as they are).
  void drop_to_level(const Ciphertext& a, std::size_t level, Ciphertext& out) const;

 private:
  void check(const Ciphertext& a, const char* what) const;
  void check_pair(const Ciphertext& a, const Ciphertext& b, const char* what) const;
  void check_plain(const Ciphertext& a, const Plaintext& p, const char* what, bool scales) const;
  ContextPtr ctx_;
};

// True when two CKKS scales are equal up to floating-point noise.
bool scales_match(double a, double b);

}  // namespace veil::rlwe
