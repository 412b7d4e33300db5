// Shared pieces of the serializer fuzz targets (fuzz_load_*.cpp): two small
// insecure contexts built once, deterministic objects to seed the corpus, and
// the checksum repair that lets mutated envelopes reach the payload parsers.
//
// Input layout of the key and ciphertext targets: byte 0 selects the loader
// (bits 0-1) and the context (bit 2: 0 = CKKS, 1 = BGV); the rest is the
// envelope handed to the loader.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "envelope_repair.h"
#include "fuzz_target.h"
#include "veil/io/envelope.h"
#include "veil/io/serialize.h"
#include "veil/rlwe/context.h"
#include "veil/rlwe/keygen.h"
#include "veil/rlwe/objects.h"

namespace veil::fuzz {

inline constexpr const char* kOptOut = "veil-fuzz-serialize";

// N = 16, three ciphertext primes of mixed widths (so limbs pack at different
// bit widths) and a special prime: CKKS; and a two-level BGV set with t = 97.
inline const rlwe::ContextPtr& small_context(bool bgv) {
  static const rlwe::ContextPtr ckks = [] {
    rlwe::ParameterLiteral lit;
    lit.scheme = rlwe::Scheme::kCkks;
    lit.n = 16;
    lit.q_bits = {30, 20, 17};
    lit.p_bits = 31;
    lit.insecure_opt_out_for_test = kOptOut;
    return rlwe::Context::create(lit);
  }();
  static const rlwe::ContextPtr bgv_ctx = [] {
    rlwe::ParameterLiteral lit;
    lit.scheme = rlwe::Scheme::kBgv;
    lit.n = 16;
    lit.q_bits = {25, 23};
    lit.p_bits = 27;
    lit.t = 97;
    lit.insecure_opt_out_for_test = kOptOut;
    return rlwe::Context::create(lit);
  }();
  return bgv ? bgv_ctx : ckks;
}

// A fixed pseudo-random polynomial over `basis` (evaluation form), so that the
// seeds are the same on every run.
inline ring::RnsPoly fixed_poly(const ring::RnsBasis& basis, std::uint64_t seed) {
  ring::RnsPoly p(basis.n(), basis.size(), ring::Form::kEval);
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  for (std::size_t i = 0; i < basis.size(); ++i) {
    for (std::size_t j = 0; j < basis.n(); ++j) {
      x += 0x9e3779b97f4a7c15ull;  // splitmix64
      std::uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      z ^= z >> 31;
      // Some extreme residues: 0 and q - 1.
      const std::uint64_t q = basis.modulus(i).value();
      p.limb(i)[j] = j == 0 ? q - 1 : j == 1 ? 0 : z % q;
    }
  }
  return p;
}

inline rlwe::KeySwitchKey fixed_ksk(const rlwe::Context& ctx, std::uint64_t seed) {
  rlwe::KeySwitchKey k;
  k.param_id = ctx.id();
  for (std::size_t i = 0; i <= ctx.max_level(); ++i) {
    k.b.push_back(fixed_poly(ctx.key_basis(), seed + 2 * i));
    k.a.push_back(fixed_poly(ctx.key_basis(), seed + 2 * i + 1));
  }
  return k;
}

inline rlwe::Ciphertext fixed_ciphertext(const rlwe::Context& ctx, std::size_t level,
                                         std::size_t size, std::uint64_t seed) {
  rlwe::Ciphertext ct;
  ct.param_id = ctx.id();
  ct.level = level;
  ct.scale = ctx.scheme() == rlwe::Scheme::kBgv ? 1.0 : 0x1p20;
  for (std::size_t i = 0; i < size; ++i)
    ct.polys.push_back(fixed_poly(ctx.basis_q(level), seed + i));
  return ct;
}

// A real secret key of a context (random, only used to exercise loaded objects).
inline const rlwe::SecretKey& context_secret_key(bool bgv) {
  static const rlwe::SecretKey ckks = rlwe::KeyGenerator(small_context(false)).secret_key();
  static const rlwe::SecretKey bgv_sk = rlwe::KeyGenerator(small_context(true)).secret_key();
  return bgv ? bgv_sk : ckks;
}

// A seed input: selector byte then the envelope.
inline Bytes with_selector(std::uint8_t selector, const Bytes& envelope) {
  Bytes out{selector};
  out.insert(out.end(), envelope.begin(), envelope.end());
  return out;
}

// The shared entry point of the object-loader targets: byte 0 selects the
// object kind (bits 0-1) and the context (bit 2, BGV); the rest is tried as
// given and, when that differs, with its envelope checksum recomputed.
template <typename Load>
int drive_selected(const std::uint8_t* data, std::size_t size, Load load) {
  if (size == 0) return 0;
  const unsigned kind = data[0] & 3;
  const bool bgv = (data[0] >> 2) & 1;
  std::span<const std::uint8_t> in(data + 1, size - 1);
  load(kind, bgv, in);
  const Bytes fixed = repair_checksum(in);
  if (!same_bytes(fixed, in)) load(kind, bgv, std::span<const std::uint8_t>(fixed));
  return 0;
}

}  // namespace veil::fuzz
