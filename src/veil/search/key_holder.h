// The key holder's side of a search: decrypts the switched score blocks with
// (1, s, s^2) modulo the response prime, decodes exact integer scores, and
// ranks them. Only this party ever sees a score.
#pragma once

#include <functional>
#include <span>
#include <stdexcept>

#include "veil/math/ntt.h"
#include "veil/rlwe/objects.h"
#include "veil/search/config.h"
#include "veil/search/server.h"

namespace veil::search {

// Scores that do not decode to integers: the probe or the gallery was
// encrypted under another key, or the response was altered.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// With the right key every decoded value lies within a few hundredths of an
// integer (config.noise()); values this far off mean another key.
inline constexpr double kDecodeFailure = 0.45;

class ScoreDecryptor {
 public:
  ScoreDecryptor(const SearchConfig& config, rlwe::ContextPtr ctx, const rlwe::SecretKey& sk);
  ~ScoreDecryptor();
  ScoreDecryptor(const ScoreDecryptor&) = delete;
  ScoreDecryptor& operator=(const ScoreDecryptor&) = delete;

  // n scores per block, block after block (slot k of block b at b * n + k).
  // Throws DecodeError when a block does not decode (see kDecodeFailure).
  std::vector<std::int64_t> decrypt(const EncryptedScores& scores, std::size_t threads = 0) const;
  // One block into out[0..n); also returns the largest distance of a decoded
  // value from its integer, in score units (0.5 would be a decoding failure).
  double decrypt_block(const std::uint32_t* block, std::int64_t* out) const;
  // The decoded values before rounding, in score units (for noise measurements).
  void decrypt_block_raw(const std::uint32_t* block, double* out) const;

 private:
  SearchConfig config_;
  std::uint64_t param_id_;
  math::NttTables ntt_;
  std::vector<math::u64> s_, s2_;  // s and s^2 mod the response prime, evaluation form
};

struct Match {
  std::size_t index;  // b * n + k
  std::int64_t score;
};

// The k largest scores among the slots `valid` accepts, best first (ties by index).
std::vector<Match> top_k(std::span<const std::int64_t> scores, std::size_t k,
                         const std::function<bool(std::size_t)>& valid = {});
// Every valid slot scoring at least `threshold`, best first.
std::vector<Match> above_threshold(std::span<const std::int64_t> scores, std::int64_t threshold,
                                   const std::function<bool(std::size_t)>& valid = {});

}  // namespace veil::search
