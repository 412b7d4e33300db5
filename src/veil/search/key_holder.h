// The key holder's side of a search. Per probe it prepares the probe key
// K = sum_j s_j (c_j + a'_j s) from its own expansion of the probe (the
// expansion is deterministic, so it equals the server's): this is what turns
// the server's (x0, x1), which never touched the gallery masks, into scores.
// Per block it adds the mask term a K, decrypts x0 + x1 s modulo the response
// prime, decodes exact integer scores, and ranks them. Only this party ever
// sees a score.
#pragma once

#include <functional>
#include <span>
#include <stdexcept>

#include "veil/math/ntt.h"
#include "veil/rlwe/objects.h"
#include "veil/search/config.h"
#include "veil/search/crt2.h"
#include "veil/search/gallery_keys.h"
#include "veil/search/key_identity.h"
#include "veil/search/server.h"

namespace veil::search {

// Scores that do not decode to integers: the probe or the gallery was
// encrypted under another key (with matching key ids: forged, or the
// server's expansion keys are another set's), or the block or the response
// was altered. `block` is the first block found that failed, so the caller
// can say where (and check that block's checksum before blaming keys).
class DecodeError : public std::runtime_error {
 public:
  DecodeError(const std::string& what, std::size_t block)
      : std::runtime_error(what), block_(block) {}
  std::size_t block() const { return block_; }

 private:
  std::size_t block_;
};

// With the right key every decoded value lies within a few hundredths of an
// integer (config.noise()); values this far off mean another key.
inline constexpr double kDecodeFailure = 0.45;

// K for one probe: evaluation form modulo the two ciphertext primes. Secret
// (it is a function of the gallery secrets); zeroised on destruction.
class ProbeKey {
 public:
  ProbeKey() = default;
  ~ProbeKey();
  ProbeKey(ProbeKey&&) = default;
  ProbeKey& operator=(ProbeKey&&) = default;
  std::uint64_t config_id = 0;
  std::vector<math::u64> k, k_shoup;  // 2 x n, and Shoup factors for multiplying by k
};

class ScoreDecryptor {
 public:
  // `key_id`: the identity of the key set `sk` belongs to; responses of
  // another key set are refused (KeyMismatchError) before any decryption.
  ScoreDecryptor(const SearchConfig& config, rlwe::ContextPtr ctx, const rlwe::SecretKey& sk,
                 const io::KeyId& key_id);
  ~ScoreDecryptor();
  ScoreDecryptor(const ScoreDecryptor&) = delete;
  ScoreDecryptor& operator=(const ScoreDecryptor&) = delete;

  // K from the probe's expansion (ProbeExpander::expand with the key
  // holder's copy of the expansion keys).
  ProbeKey prepare(const Words& expanded, std::size_t threads = 0) const;

  // n scores per block, block after block (slot k of block b at b * n + k).
  // Throws DecodeError when a block does not decode (see kDecodeFailure).
  std::vector<std::int64_t> decrypt(const EncryptedScores& scores, const ProbeKey& key,
                                    std::size_t threads = 0) const;
  // Block b into out[0..n); also returns the largest distance of a decoded
  // value from its integer, in score units (0.5 would be a decoding failure).
  double decrypt_block(const EncryptedScores& scores, std::size_t b, const ProbeKey& key,
                       std::int64_t* out) const;
  // The decoded values before rounding, in score units (for noise measurements).
  // Call check() first: it does not check its arguments.
  void decrypt_block_raw(const EncryptedScores& scores, std::size_t b, const ProbeKey& key,
                         double* out) const;
  // Throws unless `scores` (key set, shape, sizes) and `key` belong to this
  // decryptor's configuration; decrypt() calls it.
  void check(const EncryptedScores& scores, const ProbeKey& key) const;

 private:
  SearchConfig config_;
  rlwe::ContextPtr ctx_;
  io::KeyId key_id_;
  math::NttTables ntt_;
  GallerySecrets secrets_;
  std::vector<math::u64> s_, s_shoup_;      // s mod the response prime, evaluation form
  std::vector<math::u64> s_q_, s_q_shoup_;  // s mod q0, q1, evaluation form (2 x n)
  math::u64 r_inv_[2] = {0, 0};             // 2^-32 mod q0, q1 (the expansion's factor)
  Crt2 crt_;
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
