// Primality and NTT-friendly prime generation.
#pragma once

#include <cstdint>
#include <vector>

#include "veil/math/modarith.h"

namespace veil::math {

// Deterministic Miller-Rabin for all 64-bit integers.
bool is_prime(u64 n);

// `count` distinct primes of exactly `bits` bits with p = 1 mod `congruence`
// (for a negacyclic NTT of size N, congruence = 2N; BGV adds lcm with t),
// searched downward from 2^bits, skipping any listed in `exclude`.
// Throws if not enough exist.
std::vector<u64> generate_primes(int bits, std::size_t count, u64 congruence,
                                 const std::vector<u64>& exclude = {});

// A generator of the multiplicative group's subgroup of order `order`
// (order must divide q - 1): a primitive `order`-th root of unity mod q.
// Deterministic: the smallest such root found from 2 upward.
u64 primitive_root_of_unity(u64 order, const Modulus& q);

// The smallest primitive `order`-th root (minimal value among all of them),
// so that tables are canonical for a given (q, order).
u64 minimal_primitive_root_of_unity(u64 order, const Modulus& q);

}  // namespace veil::math
