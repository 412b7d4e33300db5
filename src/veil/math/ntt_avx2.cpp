// AVX2 NTT kernel: the same lazy Harvey butterflies as ntt_scalar.cpp, four
// 64-bit lanes at a time.
//
// AVX2 has no 64x64-bit multiply, so the Shoup product w*y mod q is built
// from 32-bit pieces (vpmuludq, vpmulld). The Shoup quotient is taken at
// scale 2^63 (ws = floor(w * 2^63 / q), so the middle column cannot
// overflow) and only estimated from the three high partial products: it is
// at most 3 below floor(y*w/q), so y*w - quot*q lies in [0, 4q). That
// costs one conditional subtraction to get back to the scalar [0, 2q), or
// none at all when q < 2^60 leaves room for wider lazy ranges (see Ops).
// Values always stay below 2^63, so signed 64-bit compares act as unsigned.
//
// Lazy outputs are congruent to the scalar ones and in the same ranges (not
// necessarily bit-identical); fully reduced outputs are identical.
#include <immintrin.h>

#include "veil/math/ntt.h"

namespace veil::math::kernels {
namespace {

using V = __m256i;

inline V add(V a, V b) { return _mm256_add_epi64(a, b); }
inline V sub(V a, V b) { return _mm256_sub_epi64(a, b); }
inline V mul32(V a, V b) { return _mm256_mul_epu32(a, b); }  // low halves, 64-bit product

// a - (a >= bound ? bound : 0), for a < 2 * bound <= 2^63. bound_m1 = bound - 1.
inline V csub(V a, V bound, V bound_m1) {
  return sub(a, _mm256_and_si256(_mm256_cmpgt_epi64(a, bound_m1), bound));
}

struct Consts {
  V q, q_m1, q_swap, two_q, two_q_m1, four_q, four_q_m1;
  explicit Consts(u64 qv)
      : q(bcast(qv)),
        q_m1(bcast(qv - 1)),
        q_swap(bcast(qv << 32 | qv >> 32)),
        two_q(bcast(2 * qv)),
        two_q_m1(bcast(2 * qv - 1)),
        four_q(bcast(4 * qv)),
        four_q_m1(bcast(4 * qv - 1)) {}
  static V bcast(u64 v) { return _mm256_set1_epi64x(static_cast<long long>(v)); }
};

// A root in every lane, prepared for mul_root_4q: w with its 32-bit halves
// swapped, and the Shoup constant at scale 2^63, ws = floor(w * 2^63 / q),
// split into halves (the high one also doubled).
struct Root {
  V w, w_swap, ws, ws_hi, ws_hi2;
  Root(V w_, V ws64)
      : w(w_),
        w_swap(_mm256_shuffle_epi32(w_, 0xB1)),
        ws(_mm256_srli_epi64(ws64, 1)),
        ws_hi(_mm256_shuffle_epi32(ws, 0xF5)),  // high half copied low
        ws_hi2(add(ws_hi, ws_hi)) {}
  Root(u64 w_, u64 ws_) : Root(Consts::bcast(w_), Consts::bcast(ws_)) {}
};

// y * w mod q in [0, 4q) for any y < 2^63 (see the file comment).
inline V mul_root_4q(V y, const Root& r, const Consts& c) {
  // Quotient estimate floor(y * ws / 2^63) from the three high partial
  // products; y_hi < 2^31 and ws_hi < 2^31 keep the middle sum below 2^64.
  const V y_hi = _mm256_shuffle_epi32(y, 0xF5);  // high half copied low; shuffle port
  const V mid = add(mul32(y, r.ws_hi), mul32(y_hi, r.ws));
  const V quot = add(mul32(y_hi, r.ws_hi2), _mm256_srli_epi64(mid, 31));
  // y*w - quot*q mod 2^64 = lo*lo products + (cross terms mod 2^32) << 32.
  // vpmulld yields both cross terms of a product at once, one per half.
  const V lo = sub(mul32(y, r.w), mul32(quot, c.q));
  const V d = _mm256_sub_epi32(_mm256_mullo_epi32(y, r.w_swap), _mm256_mullo_epi32(quot, c.q_swap));
  const V cross = _mm256_add_epi32(d, _mm256_shuffle_epi32(d, 0xB1));
  return add(lo, _mm256_slli_epi64(cross, 32));
}
// The same in [0, 2q), the scalar kernel's range.
inline V mul_root_2q(V y, const Root& r, const Consts& c) {
  return csub(mul_root_4q(y, r, c), c.two_q, c.two_q_m1);
}

// Two flavours of the lazy butterflies, picked per modulus:
//  - kRoomy (q < 2^60, so 8q < 2^63): forward values live in [0, 8q) and
//    inverse ones in [0, 4q), so the product w*y can stay in [0, 4q) and the
//    per-layer correction of the estimated quotient disappears.
//  - otherwise (q < 2^61): the scalar ranges, [0, 4q) forward and [0, 2q)
//    inverse, with the product brought back to [0, 2q) every time.
// B below is the bound on the "reduced" operand: 4q roomy, 2q otherwise.
template <bool kRoomy>
struct Ops {
  static V bound(const Consts& c) { return kRoomy ? c.four_q : c.two_q; }
  static V bound_m1(const Consts& c) { return kRoomy ? c.four_q_m1 : c.two_q_m1; }
  static V mul(V y, const Root& r, const Consts& c) {
    return kRoomy ? mul_root_4q(y, r, c) : mul_root_2q(y, r, c);
  }
  // Cooley-Tukey: x, y in [0, 2B) -> x + wy, x - wy in [0, 2B).
  static void fwd(V& x, V& y, const Root& r, const Consts& c) {
    const V xr = csub(x, bound(c), bound_m1(c));
    const V t = mul(y, r, c);
    x = add(xr, t);
    y = sub(add(xr, bound(c)), t);
  }
  // [0, 2B) -> [0, 4q) (the lazy forward output) or [0, q).
  static V fwd_out(V v, bool lazy, const Consts& c) {
    if (kRoomy) v = csub(v, c.four_q, c.four_q_m1);
    if (!lazy) v = csub(csub(v, c.two_q, c.two_q_m1), c.q, c.q_m1);
    return v;
  }
  // Gentleman-Sande: x, y in [0, B) -> x + y, w(x - y) in [0, B).
  static void inv(V& x, V& y, const Root& r, const Consts& c) {
    const V s = csub(add(x, y), bound(c), bound_m1(c));
    y = mul(add(sub(x, y), bound(c)), r, c);
    x = s;
  }
  // Last inverse layer, N^-1 folded in: [0, B) -> [0, 2q) or [0, q).
  static void inv_last(V& x, V& y, const Root& ninv, const Root& ninv_w, bool lazy,
                       const Consts& c) {
    V r0 = mul_root_2q(csub(add(x, y), bound(c), bound_m1(c)), ninv, c);
    V r1 = mul_root_2q(add(sub(x, y), bound(c)), ninv_w, c);
    if (!lazy) {
      r0 = csub(r0, c.q, c.q_m1);
      r1 = csub(r1, c.q, c.q_m1);
    }
    x = r0;
    y = r1;
  }
};

inline V load(const u64* p) { return _mm256_loadu_si256(reinterpret_cast<const V*>(p)); }
inline void store(u64* p, V v) { _mm256_storeu_si256(reinterpret_cast<V*>(p), v); }

// Gathers the roots tab[base + i .. base + i + 3] in lane order (0, 2, 1, 3),
// the order unpacklo/unpackhi put the t = 1 butterflies in.
inline Root roots_t1(const u64* w, const u64* ws) {
  return Root(_mm256_permute4x64_epi64(load(w), 0xD8), _mm256_permute4x64_epi64(load(ws), 0xD8));
}
// Roots tab[base + i], tab[base + i + 1], each twice (t = 2 butterflies):
// two broadcast loads and a blend, which keeps the permute port free.
inline Root roots_t2(const u64* w, const u64* ws) {
  auto dup = [](const u64* p) {
    const V r0 = _mm256_set1_epi64x(static_cast<long long>(p[0]));
    const V r1 = _mm256_set1_epi64x(static_cast<long long>(p[1]));
    return _mm256_blend_epi32(r0, r1, 0xF0);
  };
  return Root(dup(w), dup(ws));
}

template <bool kRoomy>
void forward(u64* a, const NttTables& tab, bool lazy) {
  using O = Ops<kRoomy>;
  const std::size_t n = tab.size();
  const Consts c(tab.modulus().value());
  const u64* w = tab.roots();
  const u64* ws = tab.roots_shoup();

  // Layers with t >= 4: one root per group, broadcast.
  std::size_t t = n;
  std::size_t m = 1;
  for (; m < n / 4; m <<= 1) {
    t >>= 1;
    for (std::size_t i = 0; i < m; ++i) {
      const Root r(w[m + i], ws[m + i]);
      u64* xp = a + 2 * i * t;
      u64* yp = xp + t;
      for (std::size_t j = 0; j < t; j += 4) {
        V x = load(xp + j), y = load(yp + j);
        O::fwd(x, y, r, c);
        store(xp + j, x);
        store(yp + j, y);
      }
    }
  }
  // t = 2: two groups [x0 x1 y0 y1] per pair of vectors.
  for (std::size_t i = 0; i < m; i += 2) {
    u64* p = a + 4 * i;
    const V lo = load(p), hi = load(p + 4);
    V x = _mm256_permute2x128_si256(lo, hi, 0x20);
    V y = _mm256_permute2x128_si256(lo, hi, 0x31);
    O::fwd(x, y, roots_t2(w + m + i, ws + m + i), c);
    store(p, _mm256_permute2x128_si256(x, y, 0x20));
    store(p + 4, _mm256_permute2x128_si256(x, y, 0x31));
  }
  m <<= 1;
  // t = 1: pairs [x y] interleaved; the final reduction is folded in.
  for (std::size_t i = 0; i < m; i += 4) {
    u64* p = a + 2 * i;
    const V lo = load(p), hi = load(p + 4);
    V x = _mm256_unpacklo_epi64(lo, hi);  // x0 x2 x1 x3
    V y = _mm256_unpackhi_epi64(lo, hi);
    O::fwd(x, y, roots_t1(w + m + i, ws + m + i), c);
    x = O::fwd_out(x, lazy, c);
    y = O::fwd_out(y, lazy, c);
    store(p, _mm256_unpacklo_epi64(x, y));
    store(p + 4, _mm256_unpackhi_epi64(x, y));
  }
}

template <bool kRoomy>
void inverse(u64* a, const NttTables& tab, bool lazy) {
  using O = Ops<kRoomy>;
  const std::size_t n = tab.size();
  const Consts c(tab.modulus().value());
  const u64* w = tab.inv_roots();
  const u64* ws = tab.inv_roots_shoup();

  std::size_t m = n >> 1;
  // t = 1.
  for (std::size_t i = 0; i < m; i += 4) {
    u64* p = a + 2 * i;
    const V lo = load(p), hi = load(p + 4);
    V x = _mm256_unpacklo_epi64(lo, hi);
    V y = _mm256_unpackhi_epi64(lo, hi);
    O::inv(x, y, roots_t1(w + m + i, ws + m + i), c);
    store(p, _mm256_unpacklo_epi64(x, y));
    store(p + 4, _mm256_unpackhi_epi64(x, y));
  }
  m >>= 1;
  // t = 2.
  for (std::size_t i = 0; i < m; i += 2) {
    u64* p = a + 4 * i;
    const V lo = load(p), hi = load(p + 4);
    V x = _mm256_permute2x128_si256(lo, hi, 0x20);
    V y = _mm256_permute2x128_si256(lo, hi, 0x31);
    O::inv(x, y, roots_t2(w + m + i, ws + m + i), c);
    store(p, _mm256_permute2x128_si256(x, y, 0x20));
    store(p + 4, _mm256_permute2x128_si256(x, y, 0x31));
  }
  m >>= 1;
  // t >= 4 down to the last layer.
  std::size_t t = 4;
  for (; m > 1; m >>= 1, t <<= 1) {
    for (std::size_t i = 0; i < m; ++i) {
      const Root r(w[m + i], ws[m + i]);
      u64* xp = a + 2 * i * t;
      u64* yp = xp + t;
      for (std::size_t j = 0; j < t; j += 4) {
        V x = load(xp + j), y = load(yp + j);
        O::inv(x, y, r, c);
        store(xp + j, x);
        store(yp + j, y);
      }
    }
  }
  const Root ninv(tab.inv_n().w, tab.inv_n().w_shoup);
  const Root ninv_w(tab.inv_n_w().w, tab.inv_n_w().w_shoup);
  u64* xp = a;
  u64* yp = a + t;
  for (std::size_t j = 0; j < t; j += 4) {
    V x = load(xp + j), y = load(yp + j);
    O::inv_last(x, y, ninv, ninv_w, lazy, c);
    store(xp + j, x);
    store(yp + j, y);
  }
}

constexpr u64 kRoomyLimit = u64{1} << 60;
// Below this size the broadcasts and the shuffle-heavy t = 1, 2 layers cost
// more than they save: measured scalar 2x faster at N = 8, 1.4x at N = 16,
// AVX2 ahead from N = 32 (1.05-1.15x) on.
constexpr std::size_t kMinVectorSize = 32;

}  // namespace

void ntt_forward_avx2(u64* a, const NttTables& tab, bool lazy) {
  if (tab.size() < kMinVectorSize) {
    ntt_forward_scalar(a, tab, lazy);
  } else if (tab.modulus().value() < kRoomyLimit) {
    forward<true>(a, tab, lazy);
  } else {
    forward<false>(a, tab, lazy);
  }
}

void ntt_inverse_avx2(u64* a, const NttTables& tab, bool lazy) {
  if (tab.size() < kMinVectorSize) {
    ntt_inverse_scalar(a, tab, lazy);
  } else if (tab.modulus().value() < kRoomyLimit) {
    inverse<true>(a, tab, lazy);
  } else {
    inverse<false>(a, tab, lazy);
  }
}

}  // namespace veil::math::kernels
