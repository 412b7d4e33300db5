// Shared helpers for the search tests: random unit vectors and one set of
// keys per configuration.
#pragma once

#include <cmath>
#include <random>
#include <vector>

#include "veil/rlwe/keygen.h"
#include "veil/search/config.h"
#include "veil/search/enroll.h"
#include "veil/search/key_holder.h"
#include "veil/search/key_identity.h"
#include "veil/search/probe.h"
#include "veil/search/quantize.h"
#include "veil/search/server.h"

namespace veil::search::testing {

// Test data only (std::mt19937 is not for secrets).
inline std::vector<float> random_rows(std::size_t rows, std::size_t d, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd;
  std::vector<float> v(rows * d);
  for (auto& x : v) x = nd(gen);
  return v;
}

struct Party {
  SearchConfig config;
  rlwe::ContextPtr ctx;
  rlwe::SecretKey sk;
  rlwe::PublicKey pk;
  rlwe::GaloisKeys galois;
  io::KeyId key_id;

  explicit Party(const SearchOptions& o)
      : config(SearchConfig::derive(o)), ctx(make_context(config)) {
    rlwe::KeyGenerator kg(ctx);
    sk = kg.secret_key();
    pk = kg.public_key(sk);
    galois = make_expansion_keys(config, ctx, sk);
    key_id = key_id_of(*ctx, pk);
  }
};

// Blocks of `rows` (n per block) encrypted with the secret key (or the public key).
inline std::vector<Words> encrypt_gallery(const Party& p, const QuantizedRows& rows,
                                          bool public_key = false, std::size_t threads = 2) {
  GalleryEncryptor enc =
      public_key ? GalleryEncryptor(p.config, p.ctx,
                                    make_gallery_public_key(*p.ctx, p.sk, p.config.dimension))
                 : GalleryEncryptor(p.config, p.ctx, p.sk);
  std::vector<Words> blocks;
  for (std::size_t first = 0; first < rows.rows; first += p.config.n) {
    blocks.push_back(
        enc.encrypt_block(rows, first, std::min(p.config.n, rows.rows - first), threads));
  }
  return blocks;
}

inline std::vector<const std::uint32_t*> pointers(const std::vector<Words>& blocks) {
  std::vector<const std::uint32_t*> v;
  for (const auto& b : blocks) v.push_back(b.data());
  return v;
}

// The key holder's probe key, from its own expansion of the probe (the same
// deterministic computation the server runs).
inline ProbeKey probe_key(const Party& p, const ScoreDecryptor& dec, const EncryptedProbe& probe,
                          std::size_t threads = 2) {
  return dec.prepare(ProbeExpander(p.config, p.ctx, p.galois).expand(probe, threads), threads);
}

}  // namespace veil::search::testing
