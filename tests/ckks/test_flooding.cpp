#include <gtest/gtest.h>

#include <cmath>

#include "veil/ckks/encoder.h"
#include "veil/ckks/flooding.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/keygen.h"

using namespace veil;

namespace {
rlwe::ContextPtr ckks_context() {
  rlwe::ParameterLiteral lit;
  lit.scheme = rlwe::Scheme::kCkks;
  lit.n = 8192;
  lit.q_bits = {60, 40, 40};
  lit.p_bits = 60;
  return rlwe::Context::create(lit);
}
double max_error(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}
}  // namespace

TEST(Flooding, HidesDecryptionNoiseAtAMeasuredPrecisionCost) {
  auto ctx = ckks_context();
  rlwe::KeyGenerator kg(ctx);
  auto sk = kg.secret_key();
  ckks::Encoder enc(ctx);
  std::vector<double> x(enc.slot_count());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.01 * static_cast<double>(i));
  auto ct = rlwe::Encryptor(ctx, sk).encrypt(enc.encode(x, std::ldexp(1.0, 40), 2));
  rlwe::Decryptor dec(ctx, sk);
  auto plain = dec.decrypt(ct);
  const double clean = max_error(enc.decode_real(plain), x);

  auto a = plain, b = plain;
  ckks::add_flooding_noise(*ctx, a, 30);
  ckks::add_flooding_noise(*ctx, b, 30);
  EXPECT_FALSE(a.poly == b.poly) << "each flood draws fresh noise";
  const double flooded = max_error(enc.decode_real(a), x);
  // Coefficient noise of 2^30 spreads to slots with std ~ 2^30 sqrt(N/2) / 2^40
  // ~ 2^-4; the maximum over 4096 slots stays within a few std of that.
  std::printf("[precision] flooding 2^30 at scale 2^40: %.1f bits (clean %.1f bits)\n",
              -std::log2(flooded), -std::log2(clean));
  EXPECT_GT(flooded, std::ldexp(clean, 10)) << "the flood must dominate the decryption noise";
  EXPECT_GT(flooded, std::ldexp(1.0, -8));
  EXPECT_LT(flooded, std::ldexp(1.0, 0));
}

TEST(Flooding, RefusesBadArguments) {
  auto ctx = ckks_context();
  rlwe::Plaintext pt = ckks::Encoder(ctx).encode(std::vector<double>{1.0}, 1 << 20, 0);
  EXPECT_THROW(ckks::add_flooding_noise(*ctx, pt, 0.5), std::invalid_argument);
  EXPECT_THROW(ckks::add_flooding_noise(*ctx, pt, 51), std::invalid_argument);
  EXPECT_THROW(ckks::add_flooding_noise(*ctx, pt, NAN), std::invalid_argument);
  pt.param_id ^= 1;
  EXPECT_THROW(ckks::add_flooding_noise(*ctx, pt, 10), rlwe::MismatchError);
}
