#include "veil/ring/base_converter.h"

namespace veil::ring {

using math::u128;
using math::u64;

BaseConverter::BaseConverter(const RnsBasis& from, const RnsBasis& to) : from_(from), to_(to) {
  const std::size_t k = from.size();
  if (k == 0 || to.size() == 0) throw std::invalid_argument("BaseConverter: empty basis");
  if (k > 64) throw std::invalid_argument("BaseConverter: at most 64 source primes");
  for (std::size_t i = 0; i < k; ++i) {
    u64 rem = 1;
    for (std::size_t l = 0; l < k; ++l) {
      if (l != i)
        rem = math::mul_mod(rem, from.modulus(i).reduce(from.modulus(l).value()), from.modulus(i));
    }
    punctured_inv_.emplace_back(math::inv_mod(rem, from.modulus(i)), from.modulus(i));
  }
  punctured_.resize(to.size());
  for (std::size_t j = 0; j < to.size(); ++j) {
    for (std::size_t i = 0; i < k; ++i) {
      u64 v = 1;
      for (std::size_t l = 0; l < k; ++l) {
        if (l != i)
          v = math::mul_mod(v, to.modulus(j).reduce(from.modulus(l).value()), to.modulus(j));
      }
      punctured_[j].push_back(v);
    }
  }
}

void BaseConverter::convert(const RnsPoly& in, RnsPoly& out) const {
  if (in.limbs() != from_.size() || in.n() != from_.n()) {
    throw std::invalid_argument("BaseConverter: input has " + std::to_string(in.limbs()) +
                                " limbs, expected " + std::to_string(from_.size()));
  }
  if (in.form() != Form::kCoeff)
    throw std::invalid_argument("BaseConverter: needs coefficient form");
  const std::size_t n = in.n(), k = from_.size();
  out = RnsPoly(n, to_.size(), Form::kCoeff);
  std::vector<u64> y(k);
  for (std::size_t c = 0; c < n; ++c) {
    for (std::size_t i = 0; i < k; ++i)
      y[i] = math::mul_shoup(in.limb(i)[c], punctured_inv_[i], from_.modulus(i));
    for (std::size_t j = 0; j < to_.size(); ++j) {
      // Each product is below 2^122 and k <= 64, so the sum fits 128 bits.
      u128 acc = 0;
      for (std::size_t i = 0; i < k; ++i) acc += static_cast<u128>(y[i]) * punctured_[j][i];
      out.limb(j)[c] = to_.modulus(j).reduce128(acc);
    }
  }
}

}  // namespace veil::ring
