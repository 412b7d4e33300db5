#include "veil/math/ntt.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "veil/math/bitops.h"
#include "veil/math/primes.h"

namespace veil::math {

NttTables::NttTables(std::size_t n, const Modulus& q) : n_(n), q_(q) {
  if (!is_power_of_two(n) || n < 2) {
    throw std::invalid_argument("NttTables: size must be a power of two >= 2, got " +
                                std::to_string(n));
  }
  log_n_ = log2_exact(n);
  if ((q.value() - 1) % (2 * n) != 0) {
    throw std::invalid_argument("NttTables: modulus " + std::to_string(q.value()) +
                                " is not 1 mod 2N = " + std::to_string(2 * n));
  }
  psi_ = minimal_primitive_root_of_unity(2 * n, q);
  const u64 psi_inv = inv_mod(psi_, q);
  roots_.resize(n);
  roots_shoup_.resize(n);
  inv_roots_.resize(n);
  inv_roots_shoup_.resize(n);
  u64 p = 1, pi = 1;
  std::vector<u64> pow(n), pow_inv(n);
  for (std::size_t k = 0; k < n; ++k) {
    pow[k] = p;
    pow_inv[k] = pi;
    p = mul_mod(p, psi_, q);
    pi = mul_mod(pi, psi_inv, q);
  }
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t r = bit_reverse(k, log_n_);
    roots_[k] = pow[r];
    roots_shoup_[k] = shoup_precompute(roots_[k], q.value());
    inv_roots_[k] = pow_inv[r];
    inv_roots_shoup_[k] = shoup_precompute(inv_roots_[k], q.value());
  }
  u64 ninv = inv_mod(n, q);
  inv_n_ = MulOperand(ninv, q);
  inv_n_w_ = MulOperand(mul_mod(ninv, inv_roots_[1], q), q);
}

bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}

// AVX2 beats scalar for every modulus from N = 32 on (about 1.4x forward,
// 1.3x inverse for q < 2^60; 1.3x / 1.2x for 61-bit q). Smaller transforms
// are slower in AVX2, so ntt_*_avx2 hand those to the scalar code itself and
// picking AVX2 here is never a loss.
NttKernel default_ntt_kernel() {
  static const NttKernel k = [] {
    const char* env = std::getenv("VEIL_NTT_KERNEL");
    if (env && std::strcmp(env, "scalar") == 0) return NttKernel::kScalar;
    return cpu_has_avx2() ? NttKernel::kAvx2 : NttKernel::kScalar;
  }();
  return k;
}

std::string to_string(NttKernel k) { return k == NttKernel::kAvx2 ? "avx2" : "scalar"; }

void NttTables::forward(u64* a, NttKernel k, bool lazy) const {
  if (k == NttKernel::kAvx2) {
    kernels::ntt_forward_avx2(a, *this, lazy);
  } else {
    kernels::ntt_forward_scalar(a, *this, lazy);
  }
}
void NttTables::inverse(u64* a, NttKernel k, bool lazy) const {
  if (k == NttKernel::kAvx2) {
    kernels::ntt_inverse_avx2(a, *this, lazy);
  } else {
    kernels::ntt_inverse_scalar(a, *this, lazy);
  }
}
void NttTables::forward(u64* a) const { forward(a, default_ntt_kernel(), false); }
void NttTables::inverse(u64* a) const { inverse(a, default_ntt_kernel(), false); }
void NttTables::forward_lazy(u64* a) const { forward(a, default_ntt_kernel(), true); }
void NttTables::inverse_lazy(u64* a) const { inverse(a, default_ntt_kernel(), true); }

}  // namespace veil::math
