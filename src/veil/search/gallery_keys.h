// Keys of a shared-mask gallery.
//
// Dimension j of every gallery block is encrypted under its own ternary
// secret s_j, and the d ciphertexts of a block share one uniform `a`:
// (b_j, a) with b_j = -a s_j + e_j + m_j. Only the b_j are stored and
// scanned, 8 bytes per template-dimension instead of 16. This is as secure
// as RLWE: each s_j sees one fresh sample per block, and the secrets are
// independent (a hybrid over j replaces the samples of one secret at a time).
//
// The key holder derives the s_j from its secret key (BLAKE2b of s keys one
// ChaCha20 stream per dimension), so no key file grows with d. A third party
// enrolls with the gallery public key: A and B_j = -A s_j + e_j for j < count.
#pragma once

#include <span>
#include <vector>

#include "veil/io/key_id.h"
#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"

namespace veil::search {

class GallerySecrets {
 public:
  // s_0 .. s_{count-1}, evaluation form modulo the two ciphertext primes.
  GallerySecrets(const rlwe::Context& ctx, const rlwe::SecretKey& sk, std::size_t count);
  ~GallerySecrets();
  GallerySecrets(const GallerySecrets&) = delete;
  GallerySecrets& operator=(const GallerySecrets&) = delete;

  std::size_t count() const { return count_; }
  std::size_t n() const { return n_; }
  // n residues of s_j modulo prime l (l = 0, 1).
  const std::uint32_t* get(std::size_t j, std::size_t l) const {
    return words_.data() + (j * 2 + l) * n_;
  }

 private:
  std::size_t n_ = 0, count_ = 0;
  std::vector<std::uint32_t> words_;  // count x 2 x n (residues < 2^29)
};

struct GalleryPublicKey {
  std::uint64_t param_id = 0;
  // The key set it was made from (key_identity.h): a third party that holds
  // only this file still enrolls under the right identity.
  io::KeyId key_id;
  ring::RnsPoly a;               // evaluation form, the two ciphertext primes
  std::vector<ring::RnsPoly> b;  // b_j = -a s_j + e_j, same basis and form
  std::size_t count() const { return b.size(); }
};

GalleryPublicKey make_gallery_public_key(const rlwe::Context& ctx, const rlwe::SecretKey& sk,
                                         std::size_t count);

// GalleryPublicKey envelope; load throws io::FormatError on malformed bytes and
// rlwe::MismatchError for another parameter set.
std::vector<std::uint8_t> save_gallery_public_key(const rlwe::Context& ctx,
                                                  const GalleryPublicKey& key);
GalleryPublicKey load_gallery_public_key(const rlwe::Context& ctx,
                                         std::span<const std::uint8_t> bytes);

}  // namespace veil::search
