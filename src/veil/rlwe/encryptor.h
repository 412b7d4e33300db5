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

  // A fresh encryption of pt at pt's level (public key if given, else secret key).
  Ciphertext encrypt(const Plaintext& pt) const;
  // Secret-key encryption whose c_1 is replaced by a seed (needs the secret key).
  SeededCiphertext encrypt_seeded(const Plaintext& pt) const;

 private:
  void check(const Plaintext& pt) const;
  ContextPtr ctx_;
  std::optional<PublicKey> pk_;
  std::optional<SecretKey> sk_;
};

// Regenerates c_1 from the seed (public operation; anyone can expand).
Ciphertext expand_seeded(const Context& ctx, const SeededCiphertext& sct);

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
