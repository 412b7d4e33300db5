// Reproducible synthetic data (benchmarks, `veil generate`): a ChaCha20
// stream keyed by a small public seed, so even test data never comes from a
// non-cryptographic generator. Not for secrets: the seed is public.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "veil/ring/xof.h"

namespace veil::apps {

class SyntheticStream {
 public:
  explicit SyntheticStream(std::uint64_t seed)
      : xof_(seed_from(seed), /*domain=*/0x53594e54 /* "SYNT" */) {}
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(xof_.next_u64() >> 11) * 0x1.0p-53; }
  std::uint64_t below(std::uint64_t bound) { return xof_.next_u64() % bound; }
  // Standard normal (Box-Muller).
  float normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = static_cast<float>(r * std::sin(2 * M_PI * u2));
    has_spare_ = true;
    return static_cast<float>(r * std::cos(2 * M_PI * u2));
  }

 private:
  static ring::Seed seed_from(std::uint64_t s) {
    ring::Seed seed{};
    for (int i = 0; i < 8; ++i) seed[i] = static_cast<std::uint8_t>(s >> (8 * i));
    return seed;
  }
  ring::Xof xof_;
  float spare_ = 0;
  bool has_spare_ = false;
};

// rows x d unit vectors with normal coordinates.
inline std::vector<float> synthetic_unit_rows(std::size_t rows, std::size_t d, std::uint64_t seed) {
  SyntheticStream s(seed);
  std::vector<float> v(rows * d);
  for (std::size_t i = 0; i < rows; ++i) {
    double norm = 0;
    for (std::size_t j = 0; j < d; ++j) {
      v[i * d + j] = s.normal();
      norm += static_cast<double>(v[i * d + j]) * v[i * d + j];
    }
    const float f = static_cast<float>(1.0 / std::sqrt(norm));
    for (std::size_t j = 0; j < d; ++j) v[i * d + j] *= f;
  }
  return v;
}

}  // namespace veil::apps
