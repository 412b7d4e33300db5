// Negacyclic number-theoretic transform over Z_q[X]/(X^N + 1).
//
// forward() maps coefficients to evaluations at the odd powers of a primitive
// 2N-th root psi, in bit-reversed order: output[i] = a(psi^(2*brv(i)+1)).
// Products in evaluation form are pointwise. Butterflies are Harvey's lazy
// ones (values kept in [0, 4q) between layers, Shoup multiplication by
// precomputed roots). An AVX2 kernel and its scalar twin compute the same
// function; the kernel is picked once at run time from the CPU's features.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "veil/math/modarith.h"

namespace veil::math {

enum class NttKernel { kScalar, kAvx2 };

class NttTables {
 public:
  NttTables(std::size_t n, const Modulus& q);

  std::size_t size() const { return n_; }
  int log_size() const { return log_n_; }
  const Modulus& modulus() const { return q_; }
  u64 root() const { return psi_; }  // the primitive 2N-th root used

  // Input in [0, q) (any value < 4q is accepted); output in [0, q).
  void forward(u64* a) const;
  // Input in [0, 2q); output in [0, q).
  void inverse(u64* a) const;
  // Lazy variants: output in [0, 4q) (forward) or [0, 2q) (inverse).
  void forward_lazy(u64* a) const;
  void inverse_lazy(u64* a) const;

  // The same with an explicit kernel (for tests and benchmarks).
  void forward(u64* a, NttKernel k, bool lazy = false) const;
  void inverse(u64* a, NttKernel k, bool lazy = false) const;

  // Table accessors used by kernels.
  const u64* roots() const { return roots_.data(); }
  const u64* roots_shoup() const { return roots_shoup_.data(); }
  const u64* inv_roots() const { return inv_roots_.data(); }
  const u64* inv_roots_shoup() const { return inv_roots_shoup_.data(); }
  const MulOperand& inv_n() const { return inv_n_; }
  // inv_n * inv_roots[1], folded into the last inverse layer.
  const MulOperand& inv_n_w() const { return inv_n_w_; }

 private:
  std::size_t n_;
  int log_n_;
  Modulus q_;
  u64 psi_;
  std::vector<u64> roots_, roots_shoup_;          // psi^brv(k)
  std::vector<u64> inv_roots_, inv_roots_shoup_;  // psi^-brv(k)
  MulOperand inv_n_, inv_n_w_;
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
}  // namespace kernels

}  // namespace veil::math
