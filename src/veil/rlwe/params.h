// Parameter sets: a plain literal, validated once into an immutable object.
//
//   ParameterLiteral lit{.scheme = Scheme::kCkks, .n = 8192,
//                        .q_bits = {60, 40, 40, 60}, .p_bits = 60};
//   auto params = Parameters::create(lit);   // throws ParameterError if unsafe
//
// Primes are generated deterministically from the bit sizes (largest primes
// below 2^bits that are 1 mod 2N, and for BGV also 1 mod t), so a literal
// always resolves to the same set and the same parameter id.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace veil::rlwe {

enum class Scheme : std::uint8_t { kBgv = 1, kCkks = 2 };
std::string to_string(Scheme s);

struct ParameterLiteral {
  Scheme scheme = Scheme::kCkks;
  std::size_t n = 0;
  // Either bit sizes (primes generated) or explicit primes, for q_0..q_L.
  std::vector<int> q_bits;
  std::vector<std::uint64_t> q_primes;
  // The special prime for key switching: bit size or explicit prime.
  int p_bits = 0;
  std::uint64_t p_prime = 0;
  // BGV plaintext modulus.
  std::uint64_t t = 0;
  // Name of the test that accepts a set below 128-bit security; empty in
  // every product use, where insecure sets are refused.
  std::string insecure_opt_out_for_test;
};

class Parameters {
 public:
  static std::shared_ptr<const Parameters> create(const ParameterLiteral& lit);

  Scheme scheme() const { return scheme_; }
  std::size_t n() const { return n_; }
  const std::vector<std::uint64_t>& q() const { return q_; }
  std::uint64_t p() const { return p_; }
  std::uint64_t t() const { return t_; }
  std::size_t max_level() const { return q_.size() - 1; }
  int total_bits() const { return total_bits_; }
  bool secure_128() const { return secure_128_; }
  // BLAKE2b-derived id of the scheme, n, primes and t; carried by every object.
  std::uint64_t id() const { return id_; }
  std::string describe() const;

  // The literal that reproduces this set (with explicit primes). It carries no
  // opt-out: re-creating an insecure set needs the caller to opt out again.
  ParameterLiteral literal() const;

 private:
  Parameters() = default;
  Scheme scheme_{};
  std::size_t n_ = 0;
  std::vector<std::uint64_t> q_;
  std::uint64_t p_ = 0, t_ = 0;
  int total_bits_ = 0;
  bool secure_128_ = false;
  std::uint64_t id_ = 0;
};

}  // namespace veil::rlwe
