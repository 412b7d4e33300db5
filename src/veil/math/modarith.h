// Word-size modular arithmetic for moduli below 2^61.
//
// The 2^61 bound lets the lazy (Harvey) NTT butterflies keep values in
// [0, 4q) without overflowing a 64-bit word, and leaves headroom for
// accumulating a few products before a reduction.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace veil::math {

using u64 = std::uint64_t;
using u128 = unsigned __int128;

inline constexpr int kMaxModulusBits = 61;

inline u64 mul_hi(u64 a, u64 b) { return static_cast<u64>((static_cast<u128>(a) * b) >> 64); }

// A modulus with its Barrett constant floor(2^128 / q), split into two words.
class Modulus {
 public:
  Modulus() = default;
  explicit Modulus(u64 q);

  u64 value() const { return q_; }
  int bits() const { return bits_; }
  u64 barrett_hi() const { return ratio_hi_; }
  u64 barrett_lo() const { return ratio_lo_; }

  // x mod q for any 64-bit x.
  u64 reduce(u64 x) const {
    u64 quot = mul_hi(x, ratio_hi_);
    u64 r = x - quot * q_;
    return r >= q_ ? r - q_ : r;
  }

  // x mod q for any 128-bit x (Barrett with the full 128-bit ratio).
  u64 reduce128(u128 x) const {
    u64 lo = static_cast<u64>(x), hi = static_cast<u64>(x >> 64);
    // floor(x * ratio / 2^128), keeping only what is needed.
    u64 carry = mul_hi(lo, ratio_lo_);
    u128 t = static_cast<u128>(lo) * ratio_hi_;
    u128 mid = static_cast<u128>(hi) * ratio_lo_;
    u128 s = t + carry;
    u64 c1 = static_cast<u64>(s >> 64);
    u128 s2 = static_cast<u128>(static_cast<u64>(s)) + static_cast<u64>(mid);
    c1 += static_cast<u64>(mid >> 64) + static_cast<u64>(s2 >> 64);
    u64 quot = hi * ratio_hi_ + c1;
    u64 r = lo - quot * q_;
    return r >= q_ ? r - q_ : r;
  }

  bool operator==(const Modulus& o) const { return q_ == o.q_; }

 private:
  u64 q_ = 0;
  int bits_ = 0;
  u64 ratio_hi_ = 0, ratio_lo_ = 0;
};

inline u64 add_mod(u64 a, u64 b, const Modulus& m) {
  u64 s = a + b;
  return s >= m.value() ? s - m.value() : s;
}
inline u64 sub_mod(u64 a, u64 b, const Modulus& m) { return a >= b ? a - b : a + m.value() - b; }
inline u64 neg_mod(u64 a, const Modulus& m) { return a == 0 ? 0 : m.value() - a; }
inline u64 mul_mod(u64 a, u64 b, const Modulus& m) { return m.reduce128(static_cast<u128>(a) * b); }

// Shoup precomputation: for a fixed multiplicand w < q, w' = floor(w * 2^64 / q)
// turns w * x mod q into two multiplications and no division.
inline u64 shoup_precompute(u64 w, u64 q) {
  return static_cast<u64>((static_cast<u128>(w) << 64) / q);
}
struct MulOperand {
  u64 w = 0, w_shoup = 0;
  MulOperand() = default;
  MulOperand(u64 w_, const Modulus& m) : w(w_), w_shoup(shoup_precompute(w_, m.value())) {}
};
// Result in [0, 2q) for any 64-bit x.
inline u64 mul_shoup_lazy(u64 x, u64 w, u64 w_shoup, u64 q) {
  u64 quot = mul_hi(x, w_shoup);
  return x * w - quot * q;
}
inline u64 mul_shoup(u64 x, const MulOperand& w, const Modulus& m) {
  u64 r = mul_shoup_lazy(x, w.w, w.w_shoup, m.value());
  return r >= m.value() ? r - m.value() : r;
}

u64 pow_mod(u64 base, u64 exp, const Modulus& m);
// Inverse of a mod q; throws if it does not exist.
u64 inv_mod(u64 a, const Modulus& m);

// Branch-free helpers for code that handles secret values.
// Maps a signed value in (-q, q) to [0, q) without a data-dependent branch.
inline u64 signed_to_mod_ct(std::int64_t v, u64 q) {
  u64 mask = static_cast<u64>(v >> 63);  // all ones if negative
  return static_cast<u64>(v) + (q & mask);
}

}  // namespace veil::math
