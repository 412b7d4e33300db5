// The compact encrypted probe and its oblivious expansion on the server.
//
// The client encrypts ONE ciphertext whose coefficient j is
// Delta_q * q~_j / 2^L (mod Q), L = ceil(log2 d). The server, holding only
// Galois keys for X -> X^(N/2^i + 1), splits it level by level (the PIR
// expansion of SealPIR): c + sigma(c) keeps the coefficients at even
// positions, (c - sigma(c)) X^(-2^i) the odd ones moved down. After L levels
// ciphertext j encrypts the constant Delta_q * q~_j: the per-dimension
// ciphertexts the kernel multiplies with, never seen in the clear.
#pragma once

#include <memory>
#include <optional>
#include <span>

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"
#include "veil/search/config.h"
#include "veil/search/key_identity.h"
#include "veil/search/layout.h"

namespace veil::search {

namespace detail {
class FastExpansion;
}

// Seed-compressed when the key holder encrypts (half the bytes), full when a
// capture device encrypts with the public key.
struct EncryptedProbe {
  io::KeyId key_id;  // the key set it is encrypted under (key_identity.h)
  std::optional<rlwe::SeededCiphertext> seeded;
  std::optional<rlwe::Ciphertext> full;
  // Pre-expanded (ProbeEncryptor::encrypt_expanded): the config's d
  // ciphertexts that the expansion would produce, made directly by the key
  // holder, seed-compressed. No key switching on either side, at d times the
  // upload. Exactly one of seeded, full, expanded is set.
  std::vector<rlwe::SeededCiphertext> expanded;
};

class ProbeEncryptor {
 public:
  // `key_id`: the identity of the key set `sk` or `pk` belongs to; every
  // probe carries it.
  ProbeEncryptor(const SearchConfig& config, rlwe::ContextPtr ctx, const rlwe::SecretKey& sk,
                 const io::KeyId& key_id);
  ProbeEncryptor(const SearchConfig& config, rlwe::ContextPtr ctx, const rlwe::PublicKey& pk,
                 const io::KeyId& key_id);
  // `probe` is one quantised row (quantize_rows at the config's scale).
  EncryptedProbe encrypt(std::span<const std::int16_t> probe) const;
  // A grouped probe (ann/table_layout.h): values.size() a multiple of the
  // config's dimension G, value i in coefficient i. Expansion then leaves in
  // ciphertext r the values i = r + G t at coefficients G t, not constants.
  EncryptedProbe encrypt_grouped(std::span<const std::int16_t> values) const;
  // The expansion's output for the same values (encrypt or encrypt_grouped),
  // made directly: ciphertext r encrypts Delta_q * sum_t v_{r + d t} X^(d t).
  // Fresh ciphertexts carry less noise than expanded ones, so the config's
  // noise bound holds. Secret key only (seeded); search::InputError as above,
  // rlwe::MismatchError for a public-key encryptor.
  EncryptedProbe encrypt_expanded(std::span<const std::int16_t> values,
                                  std::size_t threads = 1) const;

 private:
  EncryptedProbe encrypt_values(std::span<const std::int16_t> values) const;
  void check_quantised(std::span<const std::int16_t> values) const;
  SearchConfig config_;
  rlwe::ContextPtr ctx_;
  std::optional<rlwe::PublicKey> pk_;
  std::optional<rlwe::SecretKey> sk_;
  io::KeyId key_id_;
};

// A SearchQuery envelope: a version, the config id, the key id, then the
// ciphertext's own envelope.
std::vector<std::uint8_t> save_probe(const SearchConfig& config, const rlwe::Context& ctx,
                                     const EncryptedProbe& probe);
// Throws io::FormatError for malformed bytes and rlwe::MismatchError for a
// probe made for another gallery configuration or parameter set.
EncryptedProbe load_probe(const SearchConfig& config, const rlwe::Context& ctx,
                          std::span<const std::uint8_t> bytes);

// Galois keys the server needs for expansion (the key holder makes them once).
rlwe::GaloisKeys make_expansion_keys(const SearchConfig& config, rlwe::ContextPtr ctx,
                                     const rlwe::SecretKey& sk);

class ProbeExpander {
 public:
  ProbeExpander(const SearchConfig& config, rlwe::ContextPtr ctx, rlwe::GaloisKeys keys);
  // The d per-dimension ciphertexts in the block layout (layout.h).
  Words expand(const EncryptedProbe& probe, std::size_t threads) const;
  // The expanded ciphertexts themselves (for tests of the noise model).
  std::vector<rlwe::Ciphertext> expand_ciphertexts(const EncryptedProbe& probe,
                                                   std::size_t threads) const;

  // The same through the generic rlwe::Evaluator (apply_galois, add, sub,
  // ring::multiply): the reference the fast path (expand_fast.h) matches
  // residue for residue, kept for tests and benchmarks.
  Words expand_generic(const EncryptedProbe& probe, std::size_t threads) const;
  std::vector<rlwe::Ciphertext> expand_ciphertexts_generic(const EncryptedProbe& probe,
                                                           std::size_t threads) const;

 private:
  rlwe::Ciphertext root(const EncryptedProbe& probe) const;
  void check_pre_expanded(const EncryptedProbe& probe) const;
  std::vector<rlwe::Ciphertext> pre_expanded(const EncryptedProbe& probe,
                                             std::size_t threads) const;
  Words pre_expanded_words(const EncryptedProbe& probe, std::size_t threads) const;
  // Ciphertext j's halves into the probe layout (layout.h), times 2^32.
  void write_words(std::size_t j, const ring::RnsPoly& c0, const ring::RnsPoly& c1,
                   Words& words) const;
  Words to_words(const std::vector<rlwe::Ciphertext>& cts, std::size_t threads) const;

  SearchConfig config_;
  rlwe::ContextPtr ctx_;
  rlwe::GaloisKeys keys_;
  std::vector<ring::RnsPoly> monomials_;  // X^(-2^i), evaluation form, per level
  std::shared_ptr<const detail::FastExpansion> fast_;
};

}  // namespace veil::search
