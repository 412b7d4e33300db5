// Save and load every FHE object inside the io envelope.
//
// Loaders check, before allocating anything: the envelope (magic, version,
// type, parameter id, size, checksum), then every count against what the
// context allows and the bytes present, then every coefficient against its
// prime. Bad input throws FormatError (load_parameters: rlwe::ParameterError
// for a well-formed set that rlwe::Parameters::create refuses, e.g. an
// insecure one) and never yields a partly-built object.
//
// Limbs are bit-packed at the width of their prime, so a 36-bit limb takes
// 36 bits per coefficient rather than 64. The encoding is canonical: a loaded
// object saves back to exactly the bytes it was loaded from. Payload layouts
// are in README.md. save() throws rlwe::MismatchError for an object of another
// parameter set and std::invalid_argument for a malformed one (wrong shape,
// coefficient form, ciphertext size outside [1, kMaxCiphertextSize]).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"

namespace veil::io {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

Bytes save_parameters(const rlwe::Parameters& params);
// Re-validates the set (128-bit check included) and checks its id against the
// envelope. `insecure_opt_out_for_test` as in rlwe::ParameterLiteral.
std::shared_ptr<const rlwe::Parameters> load_parameters(
    ByteView bytes, const std::string& insecure_opt_out_for_test = "");

Bytes save(const rlwe::Context& ctx, const rlwe::SecretKey& sk);
Bytes save(const rlwe::Context& ctx, const rlwe::PublicKey& pk);
Bytes save(const rlwe::Context& ctx, const rlwe::RelinKey& rk);
Bytes save(const rlwe::Context& ctx, const rlwe::GaloisKeys& gk);
Bytes save(const rlwe::Context& ctx, const rlwe::Plaintext& pt);
Bytes save(const rlwe::Context& ctx, const rlwe::Ciphertext& ct);
Bytes save(const rlwe::Context& ctx, const rlwe::SeededCiphertext& sct);

rlwe::SecretKey load_secret_key(const rlwe::Context& ctx, ByteView bytes);
rlwe::PublicKey load_public_key(const rlwe::Context& ctx, ByteView bytes);
rlwe::RelinKey load_relin_key(const rlwe::Context& ctx, ByteView bytes);
rlwe::GaloisKeys load_galois_keys(const rlwe::Context& ctx, ByteView bytes);
rlwe::Plaintext load_plaintext(const rlwe::Context& ctx, ByteView bytes);
rlwe::Ciphertext load_ciphertext(const rlwe::Context& ctx, ByteView bytes);
rlwe::SeededCiphertext load_seeded_ciphertext(const rlwe::Context& ctx, ByteView bytes);

// Largest ciphertext size (number of polynomials) a loader accepts.
inline constexpr std::size_t kMaxCiphertextSize = 16;

}  // namespace veil::io
