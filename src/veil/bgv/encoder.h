// BGV plaintext encodings mod t.
//
// Batching (needs t prime, t = 1 mod 2N): N slots arranged as 2 rows of N/2;
// slot-wise add and multiply, columns rotate with X -> X^(3^k), rows swap
// with X -> X^(2N-1). Coefficient encoding (any t): the values are the
// polynomial's coefficients, so products are negacyclic convolutions.
// Messages are lifted to the ciphertext primes centred in (-t/2, t/2] to
// keep multiply-plain noise small.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "veil/math/ntt.h"
#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"

namespace veil::bgv {

class Encoder {
 public:
  explicit Encoder(rlwe::ContextPtr ctx);

  std::size_t slot_count() const { return ctx_->n(); }
  bool batching() const { return t_ntt_ != nullptr; }

  // Values below t, at most N of them (zero-padded).
  rlwe::Plaintext encode(std::span<const std::uint64_t> slots, std::size_t level) const;
  // Signed values in (-t/2, t/2].
  rlwe::Plaintext encode_signed(std::span<const std::int64_t> slots, std::size_t level) const;
  std::vector<std::uint64_t> decode(const rlwe::Plaintext& pt) const;
  // Centred decode: values in (-t/2, t/2].
  std::vector<std::int64_t> decode_signed(const rlwe::Plaintext& pt) const;

  rlwe::Plaintext encode_coefficients(std::span<const std::uint64_t> coeffs,
                                      std::size_t level) const;
  std::vector<std::uint64_t> decode_coefficients(const rlwe::Plaintext& pt) const;

 private:
  void require_batching(const char* what) const;
  rlwe::Plaintext lift(const std::vector<std::uint64_t>& coeffs, std::size_t level) const;
  std::vector<std::uint64_t> to_coefficients_mod_t(const rlwe::Plaintext& pt) const;

  rlwe::ContextPtr ctx_;
  math::Modulus t_;
  std::unique_ptr<math::NttTables> t_ntt_;
  std::vector<std::uint32_t> slot_map_;
};

}  // namespace veil::bgv
