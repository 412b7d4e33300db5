// Galois automorphisms of Z_q[X]/(X^N + 1).
//
// For odd g in [1, 2N), sigma_g maps a(X) to a(X^g). The odd residues mod 2N
// form a group under multiplication, and sigma_g o sigma_h = sigma_{g*h mod 2N}.
// Rotations use powers of a generator (5 for CKKS slots, 3 for BGV columns);
// g = 2N - 1 is complex conjugation in CKKS and the row swap in BGV.
//
// In coefficient form, coefficient i moves to index i*g mod 2N, negated when
// that index is >= N (because X^N = -1). In evaluation (NTT) form sigma_g is a
// pure permutation of the evaluation points; galois_ntt_permutation() builds it
// for the bit-reversed order produced by NttTables::forward().
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "veil/math/modarith.h"

namespace veil::math {

// Throws std::invalid_argument unless n is a power of two >= 2 and g is odd
// and in [1, 2n). `who` prefixes the message.
void check_galois_elt(std::uint64_t g, std::size_t n, const char* who);

// generator^step mod 2N: the Galois element for a rotation by `step` slots
// (left for positive steps, right for negative). Requires an odd generator and
// |step| < N/2. Step 0 gives 1 (the identity).
std::uint64_t galois_elt_from_step(int step, std::size_t n, std::uint64_t generator);

// 2N - 1: X -> X^{-1}; CKKS complex conjugation, BGV row swap.
std::uint64_t galois_elt_conjugate(std::size_t n);

// Coefficient form, for coefficients in [0, q). `in` and `out` must not overlap.
void apply_galois_coeff(const std::uint64_t* in, std::uint64_t* out, std::size_t n, std::uint64_t g,
                        const Modulus& q);
// The same on real coefficients (CKKS plaintexts before scaling and rounding).
void apply_galois_coeff(const double* in, double* out, std::size_t n, std::uint64_t g);

// perm with NTT(sigma_g(a))[i] = NTT(a)[perm[i]] for the NttTables ordering
// (entry i is the evaluation at psi^(2*brv(i)+1)). Independent of q and psi.
std::vector<std::uint32_t> galois_ntt_permutation(std::size_t n, std::uint64_t g);

// out[i] = in[perm[i]]; `in` and `out` must not overlap.
void apply_galois_ntt(const std::uint64_t* in, std::uint64_t* out,
                      const std::vector<std::uint32_t>& perm, std::size_t n);

}  // namespace veil::math
