// Fast (approximate) RNS base conversion from basis Q to basis P:
// out_j = sum_i [x_i (Q/q_i)^-1]_{q_i} (Q/q_i) mod p_j, which equals
// x + u Q mod p_j for some 0 <= u < |Q|. Used where that small multiple of Q
// is harmless or removed afterwards (mod-up for key switching).
#pragma once

#include <vector>

#include "veil/ring/rns_poly.h"

namespace veil::ring {

class BaseConverter {
 public:
  BaseConverter(const RnsBasis& from, const RnsBasis& to);
  // `in` in coefficient form over `from`; `out` gets to.size() limbs.
  void convert(const RnsPoly& in, RnsPoly& out) const;

 private:
  RnsBasis from_, to_;
  std::vector<math::MulOperand> punctured_inv_;    // [(Q/q_i)^-1]_{q_i}
  std::vector<std::vector<math::u64>> punctured_;  // [(Q/q_i)]_{p_j}, indexed [j][i]
};

}  // namespace veil::ring
