// Scalar NTT kernel: the reference every SIMD kernel must match (bit for bit
// once fully reduced). Harvey's lazy butterflies with Shoup multiplication:
// forward values stay in [0, 4q), inverse values in [0, 2q).
//
// Speed-ups kept deliberately simple: the t = 1 layer (one butterfly per
// root) gets its own loop with the final reduction folded in instead of a
// separate pass, and the inner loops are unrolled by the compiler.
#include "veil/math/ntt.h"

namespace veil::math::kernels {
namespace {

// x in [0, 4q), y any -> x + wy, x - wy in [0, 4q).
inline void fwd_bf(u64& x, u64& y, u64 w, u64 ws, u64 q, u64 two_q) {
  u64 X = x;
  X -= (X >= two_q) ? two_q : 0;
  const u64 T = mul_shoup_lazy(y, w, ws, q);
  x = X + T;
  y = X - T + two_q;
}

// x, y in [0, 2q) -> x + y, w(x - y) in [0, 2q).
inline void inv_bf(u64& x, u64& y, u64 w, u64 ws, u64 q, u64 two_q) {
  const u64 X = x, Y = y;
  u64 S = X + Y;
  S -= (S >= two_q) ? two_q : 0;
  x = S;
  y = mul_shoup_lazy(X - Y + two_q, w, ws, q);
}

// [0, 4q) -> [0, q).
inline u64 reduce_4q(u64 v, u64 q, u64 two_q) {
  v -= (v >= two_q) ? two_q : 0;
  return v - ((v >= q) ? q : 0);
}

}  // namespace

void ntt_forward_scalar(u64* a, const NttTables& tab, bool lazy) {
  const std::size_t n = tab.size();
  const u64 q = tab.modulus().value(), two_q = 2 * q;
  const u64* w = tab.roots();
  const u64* ws = tab.roots_shoup();
  std::size_t t = n >> 1;
  std::size_t m = 1;
  for (; t > 1; m <<= 1, t >>= 1) {
    for (std::size_t i = 0; i < m; ++i) {
      const u64 W = w[m + i], Ws = ws[m + i];
      u64* x = a + 2 * i * t;
      u64* y = x + t;
#pragma GCC unroll 4
      for (std::size_t j = 0; j < t; ++j) fwd_bf(x[j], y[j], W, Ws, q, two_q);
    }
  }
  // t = 1, with the final reduction folded in.
#pragma GCC unroll 2
  for (std::size_t i = 0; i < m; ++i) {
    u64* x = a + 2 * i;
    fwd_bf(x[0], x[1], w[m + i], ws[m + i], q, two_q);
    if (!lazy) {
      x[0] = reduce_4q(x[0], q, two_q);
      x[1] = reduce_4q(x[1], q, two_q);
    }
  }
}

void ntt_inverse_scalar(u64* a, const NttTables& tab, bool lazy) {
  const std::size_t n = tab.size();
  const u64 q = tab.modulus().value(), two_q = 2 * q;
  const u64* w = tab.inv_roots();
  const u64* ws = tab.inv_roots_shoup();
  std::size_t m = n >> 1;
  std::size_t t = 1;
  if (m > 1) {  // t = 1: one butterfly per root.
#pragma GCC unroll 2
    for (std::size_t i = 0; i < m; ++i) {
      inv_bf(a[2 * i], a[2 * i + 1], w[m + i], ws[m + i], q, two_q);
    }
    m >>= 1;
    t <<= 1;
  }
  for (; m > 1; m >>= 1, t <<= 1) {
    for (std::size_t i = 0; i < m; ++i) {
      const u64 W = w[m + i], Ws = ws[m + i];
      u64* x = a + 2 * i * t;
      u64* y = x + t;
#pragma GCC unroll 4
      for (std::size_t j = 0; j < t; ++j) inv_bf(x[j], y[j], W, Ws, q, two_q);
    }
  }
  // Last layer with N^-1 folded in: x + y times N^-1, (x - y) times N^-1 w.
  const MulOperand& ninv = tab.inv_n();
  const MulOperand& ninv_w = tab.inv_n_w();
  u64* x = a;
  u64* y = a + t;
  for (std::size_t j = 0; j < t; ++j) {
    const u64 X = x[j], Y = y[j];
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
