// CKKS encoding: N/2 complex slots <-> a plaintext polynomial at a level.
//
// Slot j of a plaintext m holds m(zeta^(5^j mod 2N)) / scale with
// zeta = exp(i*pi/N) (math::CkksEmbedding). Encoding runs the inverse
// embedding in double precision, multiplies every real coefficient by `scale`
// in long double, rounds to the nearest integer and reduces that integer
// exactly modulo every prime of the level, so scales (and scaled
// coefficients) far beyond 2^64 are supported up to Q_level / 2.
//
// Precision: the embedding is computed in double, so a coefficient carries a
// relative error of about 2^-50 of the largest slot magnitude; rounding adds
// at most 1/(2 scale) absolute per coefficient. The scaled product and its
// rounding are exact in long double (64-bit mantissa on x86-64) up to 2^64;
// beyond that the integer is the long double nearest to coeff * scale (a
// relative error of 2^-64), decomposed exactly into 32-bit digits before the
// reduction. Decoding composes each coefficient exactly by CRT and converts
// it to long double (relative error 2^-64) before dividing by the scale.
#pragma once

#include <complex>
#include <cstddef>
#include <span>
#include <vector>

#include "veil/math/ckks_embedding.h"
#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"

namespace veil::ckks {

class Encoder {
 public:
  // Throws rlwe::MismatchError unless ctx is a CKKS context.
  explicit Encoder(rlwe::ContextPtr ctx);

  const rlwe::Context& context() const { return *ctx_; }
  std::size_t slot_count() const { return embedding_.slot_count(); }

  // At most slot_count() values; missing slots are zero. The plaintext is in
  // evaluation form with level+1 limbs. Throws std::invalid_argument for a
  // non-finite or non-positive scale, non-finite values, too many values, or a
  // scaled coefficient of magnitude >= Q_level / 2; rlwe::MismatchError for a
  // level above the top level.
  rlwe::Plaintext encode(std::span<const std::complex<double>> values, double scale,
                         std::size_t level) const;
  rlwe::Plaintext encode(std::span<const double> values, double scale, std::size_t level) const;

  // Every slot equal to `value`. A real constant is the constant polynomial
  // round(value * scale); a complex one a + bi is a + b X^(N/2) (X^(N/2) is i
  // in every slot), both exact up to that rounding.
  rlwe::Plaintext encode_constant(double value, double scale, std::size_t level) const;
  rlwe::Plaintext encode_constant(std::complex<double> value, double scale,
                                  std::size_t level) const;

  // The slot values of a plaintext (evaluation or coefficient form), divided by
  // its scale.
  std::vector<std::complex<double>> decode(const rlwe::Plaintext& pt) const;
  std::vector<double> decode_real(const rlwe::Plaintext& pt) const;

 private:
  void check_scale_and_level(double scale, std::size_t level, const char* what) const;
  // Scales, rounds and reduces `coeffs` (N reals) into an evaluation-form plaintext.
  rlwe::Plaintext from_coefficients(std::span<const double> coeffs, double scale, std::size_t level,
                                    const char* what) const;

  rlwe::ContextPtr ctx_;
  math::CkksEmbedding embedding_;
};

}  // namespace veil::ckks
