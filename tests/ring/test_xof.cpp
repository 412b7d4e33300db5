#include <gtest/gtest.h>

#include <vector>

#include "veil/ring/xof.h"

namespace veil::ring {
namespace {

TEST(Xof, KeystreamXorIsTheXofStreamPrefix) {
  Seed seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(3 * i + 1);
  for (std::size_t len : {1, 63, 64, 65, 100, 4096, 5000}) {
    std::vector<std::uint8_t> a(len, 0), b(len, 0);
    Xof(seed, 42).fill(a.data(), len);
    keystream_xor(seed, 42, b.data(), len);
    EXPECT_EQ(a, b) << len;
    keystream_xor(seed, 42, b.data(), len);  // XOR twice: back to zero
    EXPECT_EQ(b, std::vector<std::uint8_t>(len, 0)) << len;
  }
  std::vector<std::uint8_t> d1(64, 0), d2(64, 0);
  keystream_xor(seed, 1, d1.data(), 64);
  keystream_xor(seed, 2, d2.data(), 64);
  EXPECT_NE(d1, d2);
}

}  // namespace
}  // namespace veil::ring
