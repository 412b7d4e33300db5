#include "veil/math/primes.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace veil::math {

namespace {
u64 pow_mod_raw(u64 b, u64 e, u64 n) {
  u128 r = 1, x = b % n;
  while (e) {
    if (e & 1) r = (r * x) % n;
    x = (x * x) % n;
    e >>= 1;
  }
  return static_cast<u64>(r);
}
}  // namespace

bool is_prime(u64 n) {
  if (n < 2) return false;
  for (u64 p : {2ull, 3ull, 5ull, 7ull, 11ull, 13ull, 17ull, 19ull, 23ull, 29ull, 31ull, 37ull}) {
    if (n % p == 0) return n == p;
  }
  u64 d = n - 1;
  int s = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    ++s;
  }
  // These bases are a proven deterministic set for n < 2^64.
  for (u64 a : {2ull, 3ull, 5ull, 7ull, 11ull, 13ull, 17ull, 19ull, 23ull, 29ull, 31ull, 37ull}) {
    u64 x = pow_mod_raw(a, d, n);
    if (x == 1 || x == n - 1) continue;
    bool composite = true;
    for (int i = 1; i < s; ++i) {
      x = static_cast<u64>((static_cast<u128>(x) * x) % n);
      if (x == n - 1) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}

std::vector<u64> generate_primes(int bits, std::size_t count, u64 congruence,
                                 const std::vector<u64>& exclude) {
  if (bits < 2 || bits > kMaxModulusBits) {
    throw std::invalid_argument("generate_primes: bit size must be in [2, " +
                                std::to_string(kMaxModulusBits) + "], got " + std::to_string(bits));
  }
  if (congruence == 0) throw std::invalid_argument("generate_primes: congruence must be positive");
  std::vector<u64> out;
  const u64 upper = 1ull << bits, lower = 1ull << (bits - 1);
  // Largest candidate below 2^bits that is 1 mod congruence.
  if (upper <= congruence) {
    throw std::invalid_argument("generate_primes: no " + std::to_string(bits) +
                                "-bit prime can be 1 mod " + std::to_string(congruence));
  }
  u64 c = ((upper - 1) / congruence) * congruence + 1;
  if (c >= upper) c -= congruence;
  for (; c > lower && out.size() < count; c -= congruence) {
    if (is_prime(c) && std::find(exclude.begin(), exclude.end(), c) == exclude.end()) {
      out.push_back(c);
    }
    if (c < congruence) break;
  }
  if (out.size() < count) {
    throw std::invalid_argument("generate_primes: only " + std::to_string(out.size()) + " of " +
                                std::to_string(count) + " requested " + std::to_string(bits) +
                                "-bit primes = 1 mod " + std::to_string(congruence) + " exist");
  }
  return out;
}

u64 primitive_root_of_unity(u64 order, const Modulus& q) {
  const u64 qv = q.value();
  if (order == 0 || (qv - 1) % order != 0) {
    throw std::invalid_argument("primitive_root_of_unity: order " + std::to_string(order) +
                                " does not divide q - 1 for q = " + std::to_string(qv));
  }
  // order is a power of two in every use here; check r^(order/2) == -1.
  if ((order & (order - 1)) != 0) {
    throw std::invalid_argument("primitive_root_of_unity: order must be a power of two");
  }
  const u64 cofactor = (qv - 1) / order;
  for (u64 g = 2; g < qv; ++g) {
    u64 r = pow_mod(g, cofactor, q);
    if (order == 1) return r;
    if (pow_mod(r, order / 2, q) == qv - 1) return r;
  }
  throw std::runtime_error("primitive_root_of_unity: none found");
}

u64 minimal_primitive_root_of_unity(u64 order, const Modulus& q) {
  u64 root = primitive_root_of_unity(order, q);
  // All primitive roots are root^k for odd k.
  u64 best = root, sq = mul_mod(root, root, q), cur = root;
  for (u64 k = 1; k < order; k += 2) {
    if (cur < best) best = cur;
    cur = mul_mod(cur, sq, q);
  }
  return best;
}

}  // namespace veil::math
