#include "veil/math/galois.h"

#include <cstdint>
#include <stdexcept>
#include <string>

#include "veil/math/bitops.h"

namespace veil::math {

namespace {

void check_degree(std::size_t n, const char* who) {
  // 2^31 keeps every index (and 2N) representable in the uint32 permutations.
  if (!is_power_of_two(n) || n < 2 || n > (std::size_t{1} << 31)) {
    throw std::invalid_argument(std::string(who) +
                                ": ring degree must be a power of two in [2, 2^31], got " +
                                std::to_string(n));
  }
}

template <typename T>
bool ranges_overlap(const T* a, const T* b, std::size_t n) {
  const auto x = reinterpret_cast<std::uintptr_t>(a);
  const auto y = reinterpret_cast<std::uintptr_t>(b);
  const std::uintptr_t bytes = n * sizeof(T);
  return x < y + bytes && y < x + bytes;
}

// Inverse of an odd a modulo the power of two m (Newton iteration: each step
// doubles the number of correct low bits, starting from 3 correct bits).
std::uint64_t inverse_mod_pow2(std::uint64_t a, std::uint64_t m) {
  std::uint64_t x = a;  // a*a = 1 mod 8 for odd a
  for (int i = 0; i < 6; ++i) x *= 2 - a * x;
  return x & (m - 1);
}

}  // namespace

void check_galois_elt(std::uint64_t g, std::size_t n, const char* who) {
  check_degree(n, who);
  if ((g & 1) == 0 || g >= 2 * static_cast<std::uint64_t>(n)) {
    throw std::invalid_argument(std::string(who) + ": Galois element must be odd and in [1, 2N = " +
                                std::to_string(2 * static_cast<std::uint64_t>(n)) + "), got " +
                                std::to_string(g));
  }
}

std::uint64_t galois_elt_from_step(int step, std::size_t n, std::uint64_t generator) {
  check_degree(n, "galois_elt_from_step");
  if ((generator & 1) == 0) {
    throw std::invalid_argument("galois_elt_from_step: generator must be odd, got " +
                                std::to_string(generator));
  }
  const std::int64_t half = static_cast<std::int64_t>(n / 2);
  const std::int64_t s = step;
  if (s <= -half || s >= half) {
    throw std::invalid_argument("galois_elt_from_step: |step| must be < N/2 = " +
                                std::to_string(half) + ", got " + std::to_string(step));
  }
  const std::uint64_t m = 2 * static_cast<std::uint64_t>(n);  // a power of two
  std::uint64_t base = generator & (m - 1);
  if (s < 0) base = inverse_mod_pow2(base, m);
  std::uint64_t e = static_cast<std::uint64_t>(s < 0 ? -s : s);
  // Arithmetic mod 2^k is ordinary wrapping uint64 arithmetic followed by a mask.
  std::uint64_t r = 1;
  while (e) {
    if (e & 1) r *= base;
    base *= base;
    e >>= 1;
  }
  return r & (m - 1);
}

std::uint64_t galois_elt_conjugate(std::size_t n) {
  check_degree(n, "galois_elt_conjugate");
  return 2 * static_cast<std::uint64_t>(n) - 1;
}

void apply_galois_coeff(const std::uint64_t* in, std::uint64_t* out, std::size_t n, std::uint64_t g,
                        const Modulus& q) {
  check_galois_elt(g, n, "apply_galois_coeff");
  if (ranges_overlap(in, out, n)) {
    throw std::invalid_argument("apply_galois_coeff: input and output must not overlap");
  }
  const std::uint64_t mask = 2 * static_cast<std::uint64_t>(n) - 1;
  std::uint64_t idx = 0;  // i*g mod 2N
  for (std::size_t i = 0; i < n; ++i) {
    if (idx < n) {
      out[idx] = in[i];
    } else {
      out[idx - n] = neg_mod(in[i], q);
    }
    idx = (idx + g) & mask;
  }
}

void apply_galois_coeff(const double* in, double* out, std::size_t n, std::uint64_t g) {
  check_galois_elt(g, n, "apply_galois_coeff");
  if (ranges_overlap(in, out, n)) {
    throw std::invalid_argument("apply_galois_coeff: input and output must not overlap");
  }
  const std::uint64_t mask = 2 * static_cast<std::uint64_t>(n) - 1;
  std::uint64_t idx = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (idx < n) {
      out[idx] = in[i];
    } else {
      out[idx - n] = -in[i];
    }
    idx = (idx + g) & mask;
  }
}

std::vector<std::uint32_t> galois_ntt_permutation(std::size_t n, std::uint64_t g) {
  check_galois_elt(g, n, "galois_ntt_permutation");
  const int log_n = log2_exact(n);
  const std::uint64_t mask = 2 * static_cast<std::uint64_t>(n) - 1;
  std::vector<std::uint32_t> perm(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Entry i holds a(psi^e) with e = 2*brv(i)+1; sigma_g(a)(psi^e) = a(psi^(e*g)).
    const std::uint64_t e = 2 * bit_reverse(i, log_n) + 1;
    const std::uint64_t eg = (e * g) & mask;  // odd, so eg = 2*brv(j)+1
    perm[i] = static_cast<std::uint32_t>(bit_reverse(eg >> 1, log_n));
  }
  return perm;
}

void apply_galois_ntt(const std::uint64_t* in, std::uint64_t* out,
                      const std::vector<std::uint32_t>& perm, std::size_t n) {
  if (perm.size() != n) {
    throw std::invalid_argument("apply_galois_ntt: permutation has " + std::to_string(perm.size()) +
                                " entries, expected N = " + std::to_string(n));
  }
  if (ranges_overlap(in, out, n)) {
    throw std::invalid_argument("apply_galois_ntt: input and output must not overlap");
  }
  for (std::size_t i = 0; i < n; ++i) out[i] = in[perm[i]];
}

}  // namespace veil::math
