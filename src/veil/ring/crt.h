// Exact CRT reconstruction of RNS residues, for decoding after decryption.
//
// A coefficient x mod Q = q_0 ... q_{k-1} is rebuilt as the integer
// sum_i [x_i (Q/q_i)^-1]_{q_i} (Q/q_i) mod Q in multi-word arithmetic,
// centred into (-Q/2, Q/2], then returned as a long double or reduced
// modulo a small plaintext modulus t.
#pragma once

#include <vector>

#include "veil/ring/rns_poly.h"

namespace veil::ring {

class CrtComposer {
 public:
  explicit CrtComposer(const RnsBasis& basis);

  std::size_t limbs() const { return moduli_.size(); }

  // `p` in coefficient form with limbs() limbs. out has n entries.
  void to_centered_long_double(const RnsPoly& p, long double* out) const;
  void to_centered_mod(const RnsPoly& p, const math::Modulus& t, math::u64* out) const;

 private:
  // Writes the centred value of coefficient j as magnitude words and a sign.
  void compose(const RnsPoly& p, std::size_t j, std::vector<math::u64>& mag, bool& negative) const;

  std::vector<math::Modulus> moduli_;
  std::vector<math::MulOperand> punctured_inv_;    // [(Q/q_i)^-1]_{q_i}
  std::vector<std::vector<math::u64>> punctured_;  // Q/q_i, k words each
  std::vector<math::u64> q_words_, half_q_words_;  // Q and floor(Q/2), k words
};

}  // namespace veil::ring
