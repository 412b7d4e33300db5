#include "veil/math/modarith.h"

namespace veil::math {

Modulus::Modulus(u64 q) : q_(q) {
  if (q < 2)
    throw std::invalid_argument("Modulus: value must be at least 2, got " + std::to_string(q));
  bits_ = 64 - __builtin_clzll(q);
  if (bits_ > kMaxModulusBits) {
    throw std::invalid_argument("Modulus: at most " + std::to_string(kMaxModulusBits) +
                                " bits supported, got " + std::to_string(bits_));
  }
  // floor(2^128 / q) = floor((2^128 - 1) / q) since q is not a power of two
  // dividing 2^128 exactly unless q is a power of two; handle both by long division.
  u128 max = ~static_cast<u128>(0);
  u128 ratio = max / q;
  if (max % q == q - 1) ratio += 1;  // 2^128 is divisible by q (q a power of two)
  ratio_hi_ = static_cast<u64>(ratio >> 64);
  ratio_lo_ = static_cast<u64>(ratio);
}

u64 pow_mod(u64 base, u64 exp, const Modulus& m) {
  u64 result = 1 % m.value();
  base = m.reduce(base);
  while (exp) {
    if (exp & 1) result = mul_mod(result, base, m);
    base = mul_mod(base, base, m);
    exp >>= 1;
  }
  return result;
}

u64 inv_mod(u64 a, const Modulus& m) {
  // Extended Euclid on signed 128-bit values.
  __int128 t = 0, new_t = 1;
  __int128 r = m.value(), new_r = m.reduce(a);
  while (new_r != 0) {
    __int128 q = r / new_r;
    __int128 tmp = t - q * new_t;
    t = new_t;
    new_t = tmp;
    tmp = r - q * new_r;
    r = new_r;
    new_r = tmp;
  }
  if (r != 1) {
    throw std::invalid_argument("inv_mod: " + std::to_string(a) + " has no inverse mod " +
                                std::to_string(m.value()));
  }
  if (t < 0) t += m.value();
  return static_cast<u64>(t);
}

}  // namespace veil::math
