// Standard normals from a ChaCha20 stream, shared by the data generators.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "veil/ring/xof.h"

namespace veil::data {

// Standard normals by Box-Muller in float from 32-bit uniforms. fill(out, n)
// consumes exactly 8 * ceil(n / 2) keystream bytes (an odd n drops its last
// partner), so the stream layout depends only on the sizes drawn.
class Normals {
 public:
  explicit Normals(ring::Xof& xof) : xof_(xof) {}
  void fill(float* out, std::size_t n) {
    const std::size_t pairs = (n + 1) / 2;
    buf_.resize(2 * pairs);
    xof_.fill(reinterpret_cast<std::uint8_t*>(buf_.data()), buf_.size() * 4);
    constexpr float kTwoPi = 6.28318530717958647692f;
    for (std::size_t p = 0; p < pairs; ++p) {
      // u1 in (0, 1] (log finite), u2 in [0, 1); 24 bits each (float precision).
      const float u1 = static_cast<float>((buf_[2 * p] >> 8) + 1) * 0x1.0p-24f;
      const float u2 = static_cast<float>(buf_[2 * p + 1] >> 8) * 0x1.0p-24f;
      const float r = std::sqrt(-2.0f * std::log(u1));
      const float th = kTwoPi * u2;
      out[2 * p] = r * std::cos(th);
      if (2 * p + 1 < n) out[2 * p + 1] = r * std::sin(th);
    }
  }

 private:
  ring::Xof& xof_;
  std::vector<std::uint32_t> buf_;
};

}  // namespace veil::data
