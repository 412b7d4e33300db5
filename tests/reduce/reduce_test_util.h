// Deterministic test data for the reduce tests, drawn from the project's
// ChaCha20 stream (ring::Xof) with fixed seeds.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "veil/data/matrix.h"
#include "veil/reduce/deep_mds.h"
#include "veil/ring/xof.h"

namespace veil::reduce::test {

class TestRandom {
 public:
  explicit TestRandom(std::uint8_t tag) : xof_(seed(tag)) {}
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(xof_.next_u64() >> 11) * 0x1p-53; }
  double gaussian() {  // Box-Muller
    const double u1 = 1 - uniform(), u2 = uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
  }
  std::vector<float> floats(std::size_t n, double scale = 1) {
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(scale * gaussian());
    return v;
  }

 private:
  static ring::Seed seed(std::uint8_t tag) {
    ring::Seed s{};
    s[0] = 0x7e;
    s[1] = tag;
    return s;
  }
  ring::Xof xof_;
};

inline data::Matrix gaussian_matrix(std::size_t rows, std::size_t cols, std::uint8_t tag) {
  TestRandom rng(tag);
  return data::Matrix{rows, cols, rng.floats(rows * cols)};
}

inline DenseLayer random_dense(TestRandom& rng, std::size_t in, std::size_t out) {
  const double scale = 1 / std::sqrt(static_cast<double>(in));
  return DenseLayer{in, out, rng.floats(in * out, scale), rng.floats(out, 0.1)};
}

inline std::vector<float> random_slopes(TestRandom& rng, std::size_t n) {
  std::vector<float> s(n);
  for (float& x : s) x = static_cast<float>(0.1 + 0.3 * rng.uniform());
  return s;
}

// A random network in -> dims[0] -> dims[1] ..., `blocks` residual blocks per stage.
inline DeepMdsModel random_deep_mds(std::size_t in, const std::vector<std::size_t>& dims,
                                    std::size_t blocks, std::uint8_t tag) {
  TestRandom rng(tag);
  std::vector<MdsStage> stages;
  for (std::size_t out : dims) {
    MdsStage st;
    st.skip = random_dense(rng, in, out);
    st.fc1 = random_dense(rng, in, out);
    st.slopes = random_slopes(rng, out);
    st.fc2 = random_dense(rng, out, out);
    for (std::size_t b = 0; b < blocks; ++b) {
      st.blocks.push_back(ResidualBlock{random_dense(rng, out, out), random_slopes(rng, out),
                                        random_dense(rng, out, out)});
    }
    stages.push_back(std::move(st));
    in = out;
  }
  return DeepMdsModel(std::move(stages));
}

}  // namespace veil::reduce::test
