// Search parameters: the ring, the primes, the quantisation scale and the two
// encoding factors, derived from a noise bound (see docs/search.md).
//
// A gallery ciphertext for dimension j of a block encrypts, with coefficient
// encoding, Delta_g * sum_k g~_kj X^k (template k of the block in coefficient
// k) under the dimension's own secret s_j, with one `a` shared by the d
// ciphertexts of the block (mask.h); the expanded probe ciphertext for dimension j encrypts the
// constant Delta_q * q~_j. Their product summed over j holds Delta_g*Delta_q*<g~_k, q~> in
// coefficient k. Quantised vectors g~ = round(s * g) of unit vectors make every score an integer
// with |score| <= (s + sqrt(d)/2)^2, so the key holder recovers it exactly when the noise stays
// below Delta_g*Delta_q/2.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "veil/rlwe/params.h"

namespace veil::search {

// Who encrypts: the key holder (secret key; seed-compressed, less noise) or a
// third party (public key; more noise, so a smaller quantisation scale).
enum class Encryption : std::uint8_t { kSecretKey = 1, kPublicKey = 2 };
std::string to_string(Encryption e);

struct SearchOptions {
  std::size_t dimension = 0;
  Encryption gallery = Encryption::kSecretKey;
  Encryption probe = Encryption::kSecretKey;
  // Quantisation scale s (templates become round(s * x) for unit x); 0 picks
  // the largest s <= kMaxQuantScale (8-bit templates) that meets the noise
  // bound. An explicit s may go up to kMaxExplicitQuantScale (ann/ tables
  // search for the largest that fits).
  std::uint32_t quant_scale = 0;
};

// Predicted noise, from the variance model in config.cpp (checked by tests).
struct NoiseReport {
  double probe_stddev = 0;     // expanded probe ciphertext, per coefficient
  double score_stddev = 0;     // a score coefficient before switching (units of Q)
  double rounding_stddev = 0;  // response switching, expressed in units of Q
  double total_stddev = 0;
  double decode_sigmas = 0;  // (Delta_g Delta_q / 2) / total_stddev
  double wrap_sigmas = 0;    // (Q/2 - max|score| Delta_g Delta_q) / total_stddev
};

inline constexpr std::size_t kRingDegree = 4096;
inline constexpr int kPrimeBits = 29;         // ciphertext primes (two): products fit lazily in u64
inline constexpr int kSpecialPrimeBits = 50;  // key switching for probe expansion
inline constexpr int kResponseBits = 30;      // the prime results are switched to
inline constexpr std::uint32_t kMaxQuantScale = 127;
inline constexpr std::uint32_t kMaxExplicitQuantScale = 16383;  // 15-bit values in int16
inline constexpr std::size_t kMaxDimension = 4096;
// Both failure modes (a score off by one, a score wrapping around) must sit
// at least this many standard deviations out: about 2^-49 per score.
inline constexpr double kRequiredSigmas = 8.0;

struct SearchConfig {
  std::size_t n = kRingDegree;
  std::size_t dimension = 0;
  std::size_t expansion_levels = 0;  // ceil(log2(dimension))
  std::vector<std::uint64_t> q;      // ciphertext primes
  std::uint64_t special_prime = 0;
  std::uint64_t response_prime = 0;
  std::uint32_t quant_scale = 0;
  std::uint64_t gallery_delta = 0, probe_delta = 0;
  Encryption gallery = Encryption::kSecretKey;
  Encryption probe = Encryption::kSecretKey;

  // Validated derivation; throws rlwe::ParameterError when no scale fits.
  static SearchConfig derive(const SearchOptions& options);

  rlwe::ParameterLiteral parameter_literal() const;
  std::vector<std::uint64_t> galois_elements() const;  // N/2^j + 1, j < expansion_levels
  std::size_t templates_per_block() const { return n; }
  // Gallery block: the mask region (mask.h) then the `b` halves, 2 primes x
  // n coefficients x d dimensions, u32 each (layout.h).
  std::size_t mask_words() const;
  std::size_t block_words() const;
  std::size_t block_bytes() const { return 4 * block_words(); }
  // |score| is at most this for any two quantised unit vectors.
  std::int64_t max_abs_score() const;
  double q_product() const;  // Q = q_0 q_1 as a double
  // Delta_g * Delta_q * p / Q: one score unit in a switched response.
  double response_unit() const;
  NoiseReport noise() const;
  std::string describe() const;
  // Throws rlwe::ParameterError if a loaded config is inconsistent or unsafe.
  void validate() const;
  // BLAKE2b-derived id of every field: probes and responses carry it, so a
  // probe for another dimension or scale is refused before any work.
  std::uint64_t id() const;
};

// Serialized form (inside an io envelope of type SearchConfig).
std::vector<std::uint8_t> save_config(const SearchConfig& c, std::uint64_t param_id);
SearchConfig load_config(std::span<const std::uint8_t> bytes);

}  // namespace veil::search
