// Encryption with the public key, or with the secret key (optionally
// seed-compressed), and decryption of ciphertexts of any size.
#pragma once

#include <optional>

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"

namespace veil::rlwe {

class Encryptor {
 public:
  Encryptor(ContextPtr ctx, const PublicKey& pk);
  Encryptor(ContextPtr ctx, const SecretKey& sk);
  Encryptor(const Encryptor&) = default;
  Encryptor& operator=(const Encryptor&) = default;
  ~Encryptor();

  // A fresh encryption of pt at pt's level (public key if given, else secret
  // key). pt may be in evaluation or coefficient form; a coefficient-form
  // message is added to the noise before the noise's transform (the same
  // ciphertext distribution, no transform of the message).
  Ciphertext encrypt(const Plaintext& pt) const;
  // Secret-key encryption whose c_1 is replaced by a seed (needs the secret key).
  SeededCiphertext encrypt_seeded(const Plaintext& pt) const;

 private:
  void check(const Plaintext& pt) const;
  // e * noise_factor, plus m when pt is in coefficient form; evaluation form.
  ring::RnsPoly noise_and_message(const Plaintext& pt, const ring::RnsBasis& basis) const;
  // acc (+ m when pt is in evaluation form) - a s, with s's Shoup factors.
  void subtract_as(const ring::RnsBasis& basis, const ring::RnsPoly& a, const Plaintext& pt,
                   ring::RnsPoly& acc) const;
  ContextPtr ctx_;
  std::optional<PublicKey> pk_;
  std::optional<SecretKey> sk_;
  std::vector<math::u64> s_shoup_;  // secret-derived: zeroised on destruction
};

// Regenerates c_1 from the seed (public operation; anyone can expand).
Ciphertext expand_seeded(const Context& ctx, const SeededCiphertext& sct);
// c_1 alone into `out` (its storage reused when it already has the shape).
void seeded_c1(const Context& ctx, const SeededCiphertext& sct, ring::RnsPoly& out);

class Decryptor {
 public:
  Decryptor(ContextPtr ctx, const SecretKey& sk);
  // sum_i c_i s^i at the ciphertext's level, in evaluation form (any size >= 1).
  Plaintext decrypt(const Ciphertext& ct) const;

 private:
  ContextPtr ctx_;
  SecretKey sk_;
};

}  // namespace veil::rlwe
