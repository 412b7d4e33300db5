#include <gtest/gtest.h>

#include "veil/rlwe/context.h"
#include "veil/rlwe/errors.h"

using namespace veil::rlwe;

namespace {
ParameterLiteral ckks(std::size_t n, std::vector<int> q, int p) {
  ParameterLiteral lit;
  lit.scheme = Scheme::kCkks;
  lit.n = n;
  lit.q_bits = std::move(q);
  lit.p_bits = p;
  return lit;
}
std::string error_of(const ParameterLiteral& lit) {
  try {
    Parameters::create(lit);
  } catch (const ParameterError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Parameters, AcceptsTheLargest128BitChains) {
  // The SEAL-default-sized chains used by the benchmarks.
  auto p4 = Parameters::create(ckks(4096, {36, 36}, 37));
  EXPECT_EQ(p4->total_bits(), 109);
  EXPECT_TRUE(p4->secure_128());
  auto p8 = Parameters::create(ckks(8192, {43, 43, 44, 44}, 44));
  EXPECT_EQ(p8->total_bits(), 218);
  auto p16 = Parameters::create(ckks(16384, {48, 48, 48, 49, 49, 49, 49, 49}, 49));
  EXPECT_EQ(p16->total_bits(), 438);
  EXPECT_EQ(p16->max_level(), 7u);
}

TEST(Parameters, RefusesInsecureSetsWithAClearMessage) {
  auto msg = error_of(ckks(4096, {36, 37}, 37));  // 110 bits
  EXPECT_NE(msg.find("below 128-bit security"), std::string::npos) << msg;
  EXPECT_NE(msg.find("110"), std::string::npos) << msg;
  EXPECT_NE(msg.find("109"), std::string::npos) << msg;
  auto lit = ckks(4096, {36, 37}, 37);
  lit.insecure_opt_out_for_test = "Parameters.RefusesInsecureSetsWithAClearMessage";
  auto p = Parameters::create(lit);
  EXPECT_FALSE(p->secure_128());
  EXPECT_NE(p->describe().find("INSECURE"), std::string::npos);
  // A reloaded literal carries no opt-out.
  EXPECT_THROW(Parameters::create(p->literal()), ParameterError);
}

TEST(Parameters, RefusesMalformedSets) {
  EXPECT_NE(error_of(ckks(3000, {30}, 30)).find("power of two"), std::string::npos);
  EXPECT_NE(error_of(ckks(512, {20}, 20)).find("[1024, 32768]"), std::string::npos);
  EXPECT_NE(error_of(ckks(65536, {20}, 20)).find("[1024, 32768]"), std::string::npos);
  EXPECT_NE(error_of(ckks(8192, {50, 60}, 40)).find("special prime"), std::string::npos);
  EXPECT_NE(error_of(ckks(8192, {62}, 62)).find("[14, 61]"), std::string::npos);
  EXPECT_NE(error_of(ckks(8192, {}, 40)).find("no ciphertext primes"), std::string::npos);
  EXPECT_NE(error_of(ckks(8192, {40}, 0)).find("special prime"), std::string::npos);
  auto dup = ckks(8192, {}, 0);
  dup.q_primes = {1152921504606830593ull, 1152921504606830593ull};
  dup.p_prime = 1152921504606830593ull;
  EXPECT_NE(error_of(dup).find("repeats"), std::string::npos) << error_of(dup);
  auto notprime = ckks(1024, {}, 0);
  notprime.q_primes = {2049ull * 5};
  notprime.p_prime = 12289;
  EXPECT_NE(error_of(notprime).find("not prime"), std::string::npos);
  auto bgv = ckks(4096, {36, 36}, 37);
  bgv.scheme = Scheme::kBgv;
  EXPECT_NE(error_of(bgv).find("plaintext modulus"), std::string::npos);
  auto ckks_t = ckks(4096, {36, 36}, 37);
  ckks_t.t = 65537;
  EXPECT_NE(error_of(ckks_t).find("CKKS takes no"), std::string::npos);
}

TEST(Parameters, BgvPrimesAreOneModT) {
  ParameterLiteral lit = ckks(4096, {36, 36}, 37);
  lit.scheme = Scheme::kBgv;
  lit.t = 65537;
  auto p = Parameters::create(lit);
  for (auto q : p->q()) {
    EXPECT_EQ(q % 65537, 1u);
    EXPECT_EQ(q % 8192, 1u);
  }
}

TEST(Parameters, IdIsStableAndDistinguishesSets) {
  auto a = Parameters::create(ckks(4096, {36, 36}, 37));
  auto b = Parameters::create(ckks(4096, {36, 36}, 37));
  auto c = Parameters::create(ckks(4096, {36, 35}, 37));
  EXPECT_EQ(a->id(), b->id());
  EXPECT_NE(a->id(), c->id());
  EXPECT_EQ(Parameters::create(a->literal())->id(), a->id());
  EXPECT_NE(a->id(), 0u);
}

TEST(Context, LevelsAndBases) {
  auto ctx = Context::create(ckks(8192, {43, 43, 44, 44}, 44));
  EXPECT_EQ(ctx->max_level(), 3u);
  EXPECT_EQ(ctx->basis_q(1).size(), 2u);
  EXPECT_EQ(ctx->basis_qp(1).size(), 3u);
  EXPECT_EQ(ctx->basis_qp(1).modulus(2).value(), ctx->params().p());
  EXPECT_EQ(ctx->key_basis().size(), 5u);
  EXPECT_THROW(ctx->require_level(4, "test"), MismatchError);
}
