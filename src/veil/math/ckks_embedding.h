// CKKS canonical embedding of R[X]/(X^N + 1) into C^(N/2), in O(N log N).
//
// Slot j of a real polynomial m is m(zeta^(5^j mod 2N)) with zeta = exp(i*pi/N),
// j in [0, N/2). The other N/2 primitive 2N-th roots are the conjugates of
// these, where m takes the conjugate values, so the map is a bijection between
// real polynomials of degree < N and C^(N/2).
//
// Conventions: the automorphism X -> X^(5^k mod 2N) rotates the slots left by
// k (new[j] = old[(j + k) mod N/2]); X -> X^(2N-1) conjugates every slot.
//
// Method: the points zeta^e with e = 1 mod 4 (which are exactly the zeta^(5^j))
// are the roots of X^(N/2) - i. Reducing m modulo X^(N/2) - i folds it into
// the complex polynomial u_k = m_k + i*m_(k+N/2), k < N/2, and
// u(zeta^(4s+1)) = sum_k (u_k zeta^k) w^(sk) with w = exp(2*pi*i/(N/2)): a
// twist followed by one complex FFT of length N/2. Slot j is FFT output s with
// 4s + 1 = 5^j mod 2N. Encoding runs the same steps backwards.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace veil::math {

class CkksEmbedding {
 public:
  // n: ring degree N, a power of two >= 4. Throws std::invalid_argument otherwise.
  explicit CkksEmbedding(std::size_t n);

  std::size_t degree() const { return n_; }
  std::size_t slot_count() const { return m_; }

  // coeffs: N real coefficients; slots: N/2 values. Arrays may not alias.
  void decode(const double* coeffs, std::complex<double>* slots) const;
  // slots: N/2 values; coeffs: N real coefficients (unscaled, unrounded).
  void encode(const std::complex<double>* slots, double* coeffs) const;

  std::vector<std::complex<double>> decode(const std::vector<double>& coeffs) const;
  std::vector<double> encode(const std::vector<std::complex<double>>& slots) const;

 private:
  // In-place radix-2 DIT FFT of length m_ on bit-reversed input, natural-order
  // output; sum_k a_k w^(sk) with w = exp(+2*pi*i/m_) (conjugated if inverse).
  void fft(std::complex<double>* a, bool inverse) const;

  std::size_t n_, m_;
  int log_m_;
  std::vector<std::complex<double>> twist_;   // zeta^k, k < N/2
  std::vector<std::complex<double>> roots_;   // w^k, k < N/4 (at least one entry)
  std::vector<std::size_t> slot_to_fft_;      // s_j with 4*s_j + 1 = 5^j mod 2N
  std::vector<std::size_t> slot_to_fft_brv_;  // brv(s_j): encode scatters here
};

}  // namespace veil::math
