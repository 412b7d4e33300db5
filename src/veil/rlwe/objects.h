// Plaintexts, ciphertexts and keys. Every object carries the id of its
// parameter set; polynomials are kept in evaluation (NTT) form.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "veil/ring/rns_poly.h"
#include "veil/ring/xof.h"

namespace veil::rlwe {

// An encoded message at a level: level+1 limbs, evaluation form.
// CKKS: `scale` is the factor the message was multiplied by. BGV: 1.
struct Plaintext {
  std::uint64_t param_id = 0;
  std::size_t level = 0;
  double scale = 1.0;
  ring::RnsPoly poly;
  ~Plaintext() { poly.secure_zero(); }  // may hold decrypted data
  Plaintext() = default;
  Plaintext(const Plaintext&) = default;
  Plaintext(Plaintext&&) = default;
  Plaintext& operator=(const Plaintext&) = default;
  Plaintext& operator=(Plaintext&&) = default;
};

// (c_0, c_1, ..., c_k) with sum_i c_i s^i = m + noise (mod Q_level).
// Size 2 after encryption, 3 after a multiplication without relinearisation.
struct Ciphertext {
  std::uint64_t param_id = 0;
  std::size_t level = 0;
  double scale = 1.0;
  std::vector<ring::RnsPoly> polys;
  std::size_t size() const { return polys.size(); }
};

// A secret-key encryption with c_1 replaced by the seed it was drawn from:
// half the bytes. expand() in Encryptor/Decryptor regenerates c_1.
struct SeededCiphertext {
  std::uint64_t param_id = 0;
  std::size_t level = 0;
  double scale = 1.0;
  ring::RnsPoly c0;
  ring::Seed seed{};
};

// s, ternary, over every prime (q_0..q_L, P), evaluation form. Zeroised on destruction.
struct SecretKey {
  std::uint64_t param_id = 0;
  ring::RnsPoly s;
  SecretKey() = default;
  SecretKey(const SecretKey&) = default;
  SecretKey(SecretKey&&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  SecretKey& operator=(SecretKey&&) = default;
  ~SecretKey() { s.secure_zero(); }
};

// An encryption of zero at the top level: (b, a) with b = -a s + e * noise_factor.
struct PublicKey {
  std::uint64_t param_id = 0;
  ring::RnsPoly b, a;
};

// Hybrid key switching key from s' to s, one part per ciphertext prime q_i:
// b_i = -a_i s + e_i * noise_factor + P [i == j] s' (mod q_j), over q_0..q_L, P.
struct KeySwitchKey {
  std::uint64_t param_id = 0;
  std::vector<ring::RnsPoly> b, a;
  std::size_t parts() const { return b.size(); }
};

struct RelinKey {
  KeySwitchKey key;  // from s^2 to s
};

struct GaloisKeys {
  std::uint64_t param_id = 0;
  std::map<std::uint64_t, KeySwitchKey> keys;  // Galois element -> key from sigma(s) to s
  bool has(std::uint64_t galois_elt) const { return keys.count(galois_elt) != 0; }
};

}  // namespace veil::rlwe
