// Scalar NTT kernel: the reference every SIMD kernel must match bit for bit.
#include "veil/math/ntt.h"

namespace veil::math::kernels {

void ntt_forward_scalar(u64* a, const NttTables& tab, bool lazy) {
  const std::size_t n = tab.size();
  const u64 q = tab.modulus().value(), two_q = 2 * q;
  const u64* w = tab.roots();
  const u64* ws = tab.roots_shoup();
  std::size_t t = n;
  for (std::size_t m = 1; m < n; m <<= 1) {
    t >>= 1;
    for (std::size_t i = 0; i < m; ++i) {
      const u64 W = w[m + i], Ws = ws[m + i];
      u64* x = a + 2 * i * t;
      u64* y = x + t;
      for (std::size_t j = 0; j < t; ++j) {
        u64 X = x[j];
        X -= (X >= two_q) ? two_q : 0;
        u64 Q = mul_shoup_lazy(y[j], W, Ws, q);
        x[j] = X + Q;
        y[j] = X - Q + two_q;
      }
    }
  }
  if (!lazy) {
    for (std::size_t j = 0; j < n; ++j) {
      u64 v = a[j];
      v -= (v >= two_q) ? two_q : 0;
      v -= (v >= q) ? q : 0;
      a[j] = v;
    }
  }
}

void ntt_inverse_scalar(u64* a, const NttTables& tab, bool lazy) {
  const std::size_t n = tab.size();
  const u64 q = tab.modulus().value(), two_q = 2 * q;
  const u64* w = tab.inv_roots();
  const u64* ws = tab.inv_roots_shoup();
  std::size_t t = 1;
  for (std::size_t m = n >> 1; m > 1; m >>= 1) {
    for (std::size_t i = 0; i < m; ++i) {
      const u64 W = w[m + i], Ws = ws[m + i];
      u64* x = a + 2 * i * t;
      u64* y = x + t;
      for (std::size_t j = 0; j < t; ++j) {
        u64 X = x[j], Y = y[j];
        u64 S = X + Y;
        S -= (S >= two_q) ? two_q : 0;
        x[j] = S;
        y[j] = mul_shoup_lazy(X - Y + two_q, W, Ws, q);
      }
    }
    t <<= 1;
  }
  // Last layer with N^-1 folded in.
  const MulOperand& ninv = tab.inv_n();
  const MulOperand& ninv_w = tab.inv_n_w();
  u64* x = a;
  u64* y = a + t;
  for (std::size_t j = 0; j < t; ++j) {
    u64 X = x[j], Y = y[j];
    u64 S = X + Y;
    S -= (S >= two_q) ? two_q : 0;
    u64 r0 = mul_shoup_lazy(S, ninv.w, ninv.w_shoup, q);
    u64 r1 = mul_shoup_lazy(X - Y + two_q, ninv_w.w, ninv_w.w_shoup, q);
    if (!lazy) {
      r0 -= (r0 >= q) ? q : 0;
      r1 -= (r1 >= q) ? q : 0;
    }
    x[j] = r0;
    y[j] = r1;
  }
}

}  // namespace veil::math::kernels
