#pragma once

#include <cstddef>
#include <cstdint>

namespace veil::math {

inline bool is_power_of_two(std::uint64_t x) { return x && !(x & (x - 1)); }

inline int log2_exact(std::uint64_t x) { return 63 - __builtin_clzll(x); }

// Reverses the low `bits` bits of x.
inline std::uint64_t bit_reverse(std::uint64_t x, int bits) {
  if (bits == 0) return 0;
  x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
  x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
  x = ((x >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((x & 0x0F0F0F0F0F0F0F0Full) << 4);
  x = ((x >> 8) & 0x00FF00FF00FF00FFull) | ((x & 0x00FF00FF00FF00FFull) << 8);
  x = ((x >> 16) & 0x0000FFFF0000FFFFull) | ((x & 0x0000FFFF0000FFFFull) << 16);
  x = (x >> 32) | (x << 32);
  return x >> (64 - bits);
}

}  // namespace veil::math
