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
  if (q.value() < kSmallPrimeLimit && n >= 16) build_small_tables();
}

// The kAvx2Small tables, in the order ntt_small_avx2.cpp reads them (blocks
// of 16 coefficients; the last three layers run in registers and each lane
// of a register holds its own root):
//   forward, 11N/8 entries:
//     [0, N/8)        psi^brv(k) as is (layers with t >= 8, broadcast)
//     [N/8, 3N/8)     t = 4, block b: roots N/8 + 2b + {0, 0, 1, 1}
//     [3N/8, 7N/8)    t = 2, block b: roots N/4 + 4b + {0, 0, 2, 2, 1, 1, 3, 3}
//     [7N/8, 11N/8)   t = 1, block b: roots N/2 + 8b + {0, 4, 1, 5, 2, 6, 3, 7}
//   inverse, N entries:
//     [0, N/2)        psi^-brv(k) as is (t = 2 and 4 read them in place)
//     [N/2, N)        t = 1, block b: roots N/2 + 8b + {0, 2, 4, 6, 1, 3, 5, 7}
// Shoup constants are floor(w * 2^32 / q), which fit 32 bits since w < q.
void NttTables::build_small_tables() {
  const std::size_t n = n_;
  const u64 q = q_.value();
  auto put = [q](std::vector<u32>& w, std::vector<u32>& ws, u64 root) {
    w.push_back(static_cast<u32>(root));
    ws.push_back(static_cast<u32>((root << 32) / q));
  };
  small_w_.reserve(11 * n / 8);
  small_ws_.reserve(11 * n / 8);
  for (std::size_t k = 0; k < n / 8; ++k) put(small_w_, small_ws_, roots_[k]);
  for (std::size_t b = 0; b < n / 16; ++b) {
    for (std::size_t p : {0, 0, 1, 1}) put(small_w_, small_ws_, roots_[n / 8 + 2 * b + p]);
  }
  for (std::size_t b = 0; b < n / 16; ++b) {
    for (std::size_t p : {0, 0, 2, 2, 1, 1, 3, 3}) {
      put(small_w_, small_ws_, roots_[n / 4 + 4 * b + p]);
    }
  }
  for (std::size_t b = 0; b < n / 16; ++b) {
    for (std::size_t p : {0, 4, 1, 5, 2, 6, 3, 7}) {
      put(small_w_, small_ws_, roots_[n / 2 + 8 * b + p]);
    }
  }
  small_inv_w_.reserve(n);
  small_inv_ws_.reserve(n);
  for (std::size_t k = 0; k < n / 2; ++k) put(small_inv_w_, small_inv_ws_, inv_roots_[k]);
  for (std::size_t b = 0; b < n / 16; ++b) {
    for (std::size_t p : {0, 2, 4, 6, 1, 3, 5, 7}) {
      put(small_inv_w_, small_inv_ws_, inv_roots_[n / 2 + 8 * b + p]);
    }
  }
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

std::string to_string(NttKernel k) {
  switch (k) {
    case NttKernel::kAvx2:
      return "avx2";
    case NttKernel::kAvx2Small:
      return "avx2_small";
    case NttKernel::kScalar:
      break;
  }
  return "scalar";
}

NttKernel NttTables::default_kernel() const {
  const NttKernel k = default_ntt_kernel();
  return (k == NttKernel::kAvx2 && has_small_tables()) ? NttKernel::kAvx2Small : k;
}

namespace {
// kAvx2Small needs q < 2^30; below N = 16 it is the scalar kernel.
bool small_kernel_usable(const NttTables& t) {
  if (t.has_small_tables()) return true;
  if (t.modulus().value() < kSmallPrimeLimit) return false;
  throw std::invalid_argument("NttTables: the avx2_small kernel needs q < 2^30, got " +
                              std::to_string(t.modulus().value()));
}
}  // namespace

void NttTables::forward(u64* a, NttKernel k, bool lazy) const {
  if (k == NttKernel::kAvx2Small && small_kernel_usable(*this)) {
    kernels::ntt_forward_avx2_small(a, *this, lazy);
  } else if (k == NttKernel::kAvx2) {
    kernels::ntt_forward_avx2(a, *this, lazy);
  } else {
    kernels::ntt_forward_scalar(a, *this, lazy);
  }
}
void NttTables::inverse(u64* a, NttKernel k, bool lazy) const {
  if (k == NttKernel::kAvx2Small && small_kernel_usable(*this)) {
    kernels::ntt_inverse_avx2_small(a, *this, lazy);
  } else if (k == NttKernel::kAvx2) {
    kernels::ntt_inverse_avx2(a, *this, lazy);
  } else {
    kernels::ntt_inverse_scalar(a, *this, lazy);
  }
}
void NttTables::forward(u64* a) const { forward(a, default_kernel(), false); }
void NttTables::inverse(u64* a) const { inverse(a, default_kernel(), false); }
void NttTables::forward_lazy(u64* a) const { forward(a, default_kernel(), true); }
void NttTables::inverse_lazy(u64* a) const { inverse(a, default_kernel(), true); }

}  // namespace veil::math
