// The HomomorphicEncryption.org security standard's bound on log2(QP) for
// 128-bit classical security with a uniform ternary secret (Albrecht et al.,
// "Homomorphic Encryption Standard", 2018, table for ternary secrets).
#pragma once

#include <cstddef>
#include <optional>

namespace veil::rlwe {

// Largest total modulus bit count (ciphertext primes plus special prime)
// allowed for ring degree n at 128-bit security; nullopt if n is not in the table.
std::optional<int> max_modulus_bits_128(std::size_t n);

}  // namespace veil::rlwe
