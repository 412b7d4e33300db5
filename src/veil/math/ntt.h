// Negacyclic number-theoretic transform over Z_q[X]/(X^N + 1).
//
// forward() maps coefficients to evaluations at the odd powers of a primitive
// 2N-th root psi, in bit-reversed order: output[i] = a(psi^(2*brv(i)+1)).
// Products in evaluation form are pointwise. Butterflies are Harvey's lazy
// ones (values kept in [0, 4q) between layers, Shoup multiplication by
// precomputed roots). An AVX2 kernel and its scalar twin compute the same
// function; the kernel is picked once at run time from the CPU's features.
//
// Primes below 2^30 (kSmallPrimeLimit) get a third kernel, kAvx2Small: lazy
// values then stay below 4q < 2^32, so the transform runs on 32-bit lanes
// (eight per AVX2 register) with 32-bit Shoup constants. The tables for it
// are built only for such primes (and N >= 16); the default entry points
// (forward(a), inverse(a), *_lazy) use it on their own whenever the AVX2
// kernel is selected for the CPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "veil/math/modarith.h"

namespace veil::math {

using u32 = std::uint32_t;

// kScalar: portable reference. kAvx2: any q < 2^61, four 64-bit lanes.
// kAvx2Small: q < 2^30 only, eight 32-bit lanes (falls back to scalar for
// N < 16, like kAvx2 does for N < 32).
enum class NttKernel { kScalar, kAvx2, kAvx2Small };

// Moduli below this get the 32-bit tables and the kAvx2Small kernel.
inline constexpr u64 kSmallPrimeLimit = u64{1} << 30;

class NttTables {
 public:
  NttTables(std::size_t n, const Modulus& q);

  std::size_t size() const { return n_; }
  int log_size() const { return log_n_; }
  const Modulus& modulus() const { return q_; }
  u64 root() const { return psi_; }  // the primitive 2N-th root used

  // The default entry points below use default_kernel(): kAvx2Small when the
  // CPU kernel is kAvx2 and has_small_tables(), else default_ntt_kernel().
  // Input in [0, q) (any value < 4q is accepted); output in [0, q).
  void forward(u64* a) const;
  // Input in [0, 2q); output in [0, q).
  void inverse(u64* a) const;
  // Lazy variants: output in [0, 4q) (forward) or [0, 2q) (inverse).
  void forward_lazy(u64* a) const;
  void inverse_lazy(u64* a) const;

  // The same with an explicit kernel (for tests and benchmarks). kAvx2 is
  // always the general 64-bit-lane kernel here; kAvx2Small throws
  // std::invalid_argument unless has_small_tables() or N < 16.
  void forward(u64* a, NttKernel k, bool lazy = false) const;
  void inverse(u64* a, NttKernel k, bool lazy = false) const;

  NttKernel default_kernel() const;
  // True when q < 2^30 and N >= 16: the 32-bit tables below exist.
  bool has_small_tables() const { return !small_w_.empty(); }

  // Table accessors used by kernels.
  const u64* roots() const { return roots_.data(); }
  const u64* roots_shoup() const { return roots_shoup_.data(); }
  const u64* inv_roots() const { return inv_roots_.data(); }
  const u64* inv_roots_shoup() const { return inv_roots_shoup_.data(); }
  const MulOperand& inv_n() const { return inv_n_; }
  // inv_n * inv_roots[1], folded into the last inverse layer.
  const MulOperand& inv_n_w() const { return inv_n_w_; }
  // 32-bit tables for kAvx2Small (empty unless has_small_tables()): roots w
  // and Shoup constants floor(w * 2^32 / q), laid out in the lane order the
  // kernel consumes them (see ntt.cpp). Forward: 11N/8 entries, inverse: N.
  const u32* small_roots() const { return small_w_.data(); }
  const u32* small_roots_shoup() const { return small_ws_.data(); }
  const u32* small_inv_roots() const { return small_inv_w_.data(); }
  const u32* small_inv_roots_shoup() const { return small_inv_ws_.data(); }

 private:
  void build_small_tables();

  std::size_t n_;
  int log_n_;
  Modulus q_;
  u64 psi_;
  std::vector<u64> roots_, roots_shoup_;          // psi^brv(k)
  std::vector<u64> inv_roots_, inv_roots_shoup_;  // psi^-brv(k)
  MulOperand inv_n_, inv_n_w_;
  std::vector<u32> small_w_, small_ws_, small_inv_w_, small_inv_ws_;
};

// The kernel chosen for this CPU (AVX2 when available unless VEIL_NTT_KERNEL=scalar).
NttKernel default_ntt_kernel();
bool cpu_has_avx2();
std::string to_string(NttKernel k);

// Kernel entry points (one per translation unit, same contract).
namespace kernels {
void ntt_forward_scalar(u64* a, const NttTables& t, bool lazy);
void ntt_inverse_scalar(u64* a, const NttTables& t, bool lazy);
void ntt_forward_avx2(u64* a, const NttTables& t, bool lazy);
void ntt_inverse_avx2(u64* a, const NttTables& t, bool lazy);
// q < 2^30 with has_small_tables() (scalar below N = 16).
void ntt_forward_avx2_small(u64* a, const NttTables& t, bool lazy);
void ntt_inverse_avx2_small(u64* a, const NttTables& t, bool lazy);
}  // namespace kernels

}  // namespace veil::math
