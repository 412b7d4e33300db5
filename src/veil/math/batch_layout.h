// BGV/BFV batching layout: N plaintext slots mod a prime t = 1 mod 2N,
// arranged as a 2 x (N/2) matrix.
//
// The plaintext ring Z_t[X]/(X^N + 1) splits into N copies of Z_t, one per
// root psi^e (e odd) of X^N + 1, where psi = NttTables(n, t).root(). Slot
// (r, c) is the evaluation at psi^e with e = 3^c mod 2N for row 0 and
// e = -3^c mod 2N for row 1 (3 has order N/2 mod 2N and -1 is not a power
// of 3, so this enumerates every odd e exactly once).
//
// Conventions (with sigma_g: a(X) -> a(X^g)):
//   sigma_{3^k mod 2N}  rotates both rows left by k: new(r, c) = old(r, c + k mod N/2);
//   sigma_{2N - 1}      swaps the rows: new(r, c) = old(1 - r, c).
// galois_elt_from_step(k, n, 3) gives 3^k for any |k| < N/2 (negative = right).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "veil/math/ntt.h"

namespace veil::math {

// map with slot (r, c) = v[map[r * (N/2) + c]], v = NttTables(n, t).forward(a)
// (bit-reversed order). A permutation of [0, N). n: power of two >= 2.
std::vector<std::uint32_t> batch_slot_to_ntt_index(std::size_t n);

// Slot values (in [0, t), row-major 2 x N/2) -> plaintext coefficients in [0, t):
// scatter into NTT order, then inverse NTT. map from batch_slot_to_ntt_index.
void batch_encode(const std::uint64_t* slots, std::uint64_t* coeffs,
                  const std::vector<std::uint32_t>& map, const NttTables& tables);
// Plaintext coefficients in [0, t) -> slot values: forward NTT, then gather.
void batch_decode(const std::uint64_t* coeffs, std::uint64_t* slots,
                  const std::vector<std::uint32_t>& map, const NttTables& tables);

}  // namespace veil::math
