// Helpers for CKKS tests: parameter sets with their expected precision, keys
// generated once per set, random slot values and precision measurement.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "test_rng.h"
#include "veil/ckks/encoder.h"
#include "veil/ckks/evaluator.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/keygen.h"

namespace veil::test {

using cplx = std::complex<double>;

// A parameter set and the minimum precision (bits, -log2 of the largest
// absolute slot error for inputs in [-1, 1]) each test asserts on it.
struct CkksCase {
  const char* name;
  std::size_t n;
  std::vector<int> q_bits;
  int p_bits;
  double log_scale;
  double encode_bits;         // encode + decode
  double fresh_bits;          // public-key encrypt + decrypt (and linear operations)
  double mult_bits;           // one multiply + relinearize + rescale
  double rotate_bits;         // a rotation or conjugation of a fresh ciphertext
  double chain_bits;          // a product chain down to level 0
  double size3_rescale_bits;  // rescaling a size-3 product, then decrypting with s^2
};

inline rlwe::ParameterLiteral ckks_literal(std::size_t n, std::vector<int> q_bits, int p_bits) {
  rlwe::ParameterLiteral lit;
  lit.scheme = rlwe::Scheme::kCkks;
  lit.n = n;
  lit.q_bits = std::move(q_bits);
  lit.p_bits = p_bits;
  return lit;
}

// Rotation steps for which every set gets Galois keys.
inline const std::vector<int>& test_rotation_steps() {
  static const std::vector<int> steps = {1, 2, 5, -1, -3};
  return steps;
}

// Context and keys of one set, built once per process.
struct CkksKeys {
  rlwe::ContextPtr ctx;
  rlwe::SecretKey sk;
  rlwe::PublicKey pk;
  rlwe::RelinKey rk;
  rlwe::GaloisKeys gk;
};

inline const CkksKeys& keys_for(const CkksCase& c) {
  static std::map<std::string, std::unique_ptr<CkksKeys>> cache;
  auto& slot = cache[c.name];
  if (!slot) {
    slot = std::make_unique<CkksKeys>();
    slot->ctx = rlwe::Context::create(ckks_literal(c.n, c.q_bits, c.p_bits));
    rlwe::KeyGenerator kg(slot->ctx);
    slot->sk = kg.secret_key();
    slot->pk = kg.public_key(slot->sk);
    slot->rk = kg.relin_key(slot->sk);
    ckks::Evaluator ev(slot->ctx);
    slot->gk = kg.galois_keys(slot->sk, ev.galois_elts_for_rotations(test_rotation_steps(), true));
  }
  return *slot;
}

// Uniform in [-1, 1] (real and imaginary parts).
inline double uniform_pm1() {
  return static_cast<double>(uniform_below(std::uint64_t{1} << 53)) * 0x1p-52 - 1.0;
}
inline std::vector<cplx> random_slots(std::size_t count) {
  std::vector<cplx> v(count);
  for (auto& x : v) x = {uniform_pm1(), uniform_pm1()};
  return v;
}
inline std::vector<double> random_reals(std::size_t count) {
  std::vector<double> v(count);
  for (auto& x : v) x = uniform_pm1();
  return v;
}

// -log2 of the largest absolute difference (infinity when equal).
inline double precision_bits(const std::vector<cplx>& got, const std::vector<cplx>& want) {
  EXPECT_EQ(got.size(), want.size());
  double worst = 0;
  for (std::size_t i = 0; i < got.size() && i < want.size(); ++i) {
    worst = std::max(worst, std::abs(got[i] - want[i]));
  }
  return worst == 0 ? INFINITY : -std::log2(worst);
}
inline double precision_bits(const std::vector<double>& got, const std::vector<double>& want) {
  std::vector<cplx> g(got.begin(), got.end()), w(want.begin(), want.end());
  return precision_bits(g, w);
}

// Prints and records a measured precision so it can be quoted.
inline void report_bits(const std::string& what, double bits) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string test = info ? std::string(info->test_suite_name()) + "." + info->name() : "";
  std::cout << "[precision] " << test << " " << what << ": " << bits << " bits" << std::endl;
  ::testing::Test::RecordProperty(what, std::to_string(bits));
}

}  // namespace veil::test
