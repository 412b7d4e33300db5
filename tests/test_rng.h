// Deterministic randomness for tests only (product code draws from libsodium).
#pragma once

#include <cstdint>
#include <random>

namespace veil::test {
inline std::mt19937_64& test_rng() {
  static std::mt19937_64 rng(0x5eed);
  return rng;
}
inline std::uint64_t uniform_below(std::uint64_t bound) {
  return std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(test_rng());
}
}  // namespace veil::test
