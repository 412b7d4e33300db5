// The expansion node (expand_fast.h) with AVX2 intrinsics.
//
// Ciphertext-prime arithmetic runs on eight 32-bit lanes with 32-bit Shoup
// constants (as the kAvx2Small NTT does). Everything mod P (< 2^50) runs on
// four double lanes holding integers, signed (any representative), with FMA:
// for a product x w, h = fl(x w) and l = x w - h (exact, by FMA); a quotient
// estimate k within a few units of x w / P makes x w - k P = fma(-k, P, h) + l
// exact (an integer below 2^53). The lifted digits go through a forward NTT
// mod P written this way, are multiplied by the key, and come back through
// the inverse one; bounds are noted at each step (|v| < 2^51 keeps every
// estimate within one). The centred P-limb values are reduced mod q_l the
// same way. Every final residue is the fully reduced one the scalar node
// computes, so the two are identical.
#include <immintrin.h>

#include "veil/search/expand_fast.h"

namespace veil::search::detail {
namespace {

using u32 = std::uint32_t;
using u64 = std::uint64_t;
using V = __m256i;
using D = __m256d;

inline V load(const void* p) { return _mm256_loadu_si256(static_cast<const V*>(p)); }
inline void store(void* p, V v) { _mm256_storeu_si256(static_cast<V*>(p), v); }
inline V set32(u32 v) { return _mm256_set1_epi32(static_cast<int>(v)); }
inline V set64(u64 v) { return _mm256_set1_epi64x(static_cast<long long>(v)); }

// x - q if x >= q, on unsigned 32-bit lanes.
inline V csub(V x, V q) { return _mm256_min_epu32(x, _mm256_sub_epi32(x, q)); }
// x w mod q in [0, 2q) for x < 2^32, q < 2^31, ws = floor(w 2^32 / q).
inline V mul32(V x, V w, V ws, V q) {
  const V pe = _mm256_mul_epu32(x, ws);
  const V po = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(ws, 32));
  const V quot = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
  return _mm256_sub_epi32(_mm256_mullo_epi32(x, w), _mm256_mullo_epi32(quot, q));
}
// Eight u64 values below 2^32 as eight u32 lanes, in order.
inline V pack(const u64* p) {
  const V idx = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  const V a = _mm256_permutevar8x32_epi32(load(p), idx);
  const V b = _mm256_permutevar8x32_epi32(load(p + 4), idx);
  return _mm256_permute2x128_si256(a, b, 0x20);
}

// u64 lanes below 2^52 <-> doubles (exact).
inline D to_d(V v) {
  const V mi = set64(0x4330000000000000ULL);
  return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(v, mi)), _mm256_set1_pd(0x1p52));
}
inline V to_i(D d) {
  const V mi = set64(0x4330000000000000ULL);
  return _mm256_xor_si256(_mm256_castpd_si256(_mm256_add_pd(d, _mm256_set1_pd(0x1p52))), mi);
}
inline D floor_pd(D x) { return _mm256_round_pd(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
// r in [-m, 2m) -> [0, m).
inline D fix(D r, D m) {
  r = _mm256_add_pd(r, _mm256_and_pd(_mm256_cmp_pd(r, _mm256_setzero_pd(), _CMP_LT_OQ), m));
  return _mm256_sub_pd(r, _mm256_and_pd(_mm256_cmp_pd(r, m, _CMP_GE_OQ), m));
}
inline D round_pd(D x) { return _mm256_round_pd(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// y w mod P, signed, |result| <= P, for |y| <= 2P, 0 <= w < P, ws = w / P.
// (The estimate round(fl(y ws)) is within 1 of y w / P: |y w / P| < 2^51.)
inline D mulw(D y, D w, D ws, D p) {
  const D h = _mm256_mul_pd(y, w);
  const D l = _mm256_fmsub_pd(y, w, h);
  const D quot = round_pd(_mm256_mul_pd(y, ws));
  return _mm256_add_pd(_mm256_fnmadd_pd(quot, p, h), l);
}
// x - round(x / P) P: |result| <= P / 2 (+1 at ties) for |x| < 2^52; for
// |x| <= P exactly the centred representative in [-(P-1)/2, (P-1)/2].
inline D reduce_p(D x, D p, D pinv) {
  return _mm256_fnmadd_pd(round_pd(_mm256_mul_pd(x, pinv)), p, x);
}

// Forward negacyclic NTT mod P in NttTables order (ntt_scalar.cpp's
// Cooley-Tukey layers), on signed values: inputs |v| <= 1.5P, outputs too.
// Each butterfly reduces x to |x| <= P/2 first, so x +- w y stays within 1.5P.
void forward_p(double* a, const ExpandTables& tab) {
  const std::size_t n = tab.n;
  const PNttTables& r = tab.pd;
  const D p = _mm256_set1_pd(static_cast<double>(tab.p));
  const D pinv = _mm256_set1_pd(1.0 / static_cast<double>(tab.p));
  std::size_t m = 1, t = n >> 1;
  for (; t >= 4; m <<= 1, t >>= 1) {
    for (std::size_t i = 0; i < m; ++i) {
      const D w = _mm256_set1_pd(r.w[m + i]), ws = _mm256_set1_pd(r.ws[m + i]);
      double* x = a + 2 * i * t;
      double* y = x + t;
      for (std::size_t j = 0; j < t; j += 4) {
        const D X = reduce_p(_mm256_loadu_pd(x + j), p, pinv);
        const D T = mulw(_mm256_loadu_pd(y + j), w, ws, p);
        _mm256_storeu_pd(x + j, _mm256_add_pd(X, T));
        _mm256_storeu_pd(y + j, _mm256_sub_pd(X, T));
      }
    }
  }
  // t = 2 and t = 1 in registers, eight values at a time.
  for (std::size_t k = 0; k < n; k += 8) {
    D A = _mm256_loadu_pd(a + k), B = _mm256_loadu_pd(a + k + 4);
    D X = reduce_p(_mm256_permute2f128_pd(A, B, 0x20), p, pinv);
    D T = mulw(_mm256_permute2f128_pd(A, B, 0x31), _mm256_loadu_pd(r.w2.data() + k / 2),
               _mm256_loadu_pd(r.ws2.data() + k / 2), p);
    D X2 = _mm256_add_pd(X, T), Y2 = _mm256_sub_pd(X, T);
    A = _mm256_permute2f128_pd(X2, Y2, 0x20);
    B = _mm256_permute2f128_pd(X2, Y2, 0x31);
    X = reduce_p(_mm256_unpacklo_pd(A, B), p, pinv);
    T = mulw(_mm256_unpackhi_pd(A, B), _mm256_loadu_pd(r.w1.data() + k / 2),
             _mm256_loadu_pd(r.ws1.data() + k / 2), p);
    X2 = _mm256_add_pd(X, T);
    Y2 = _mm256_sub_pd(X, T);
    _mm256_storeu_pd(a + k, _mm256_unpacklo_pd(X2, Y2));
    _mm256_storeu_pd(a + k + 4, _mm256_unpackhi_pd(X2, Y2));
  }
}

// Inverse NTT mod P (ntt_scalar.cpp's Gentleman-Sande layers, N^-1 folded
// into the last), signed: inputs |v| <= P, outputs |v| <= P. x + y is
// reduced to |.| <= P/2, w (x - y) is at most P.
void inverse_p(double* a, const ExpandTables& tab) {
  const std::size_t n = tab.n;
  const PNttTables& r = tab.pd;
  const D p = _mm256_set1_pd(static_cast<double>(tab.p));
  const D pinv = _mm256_set1_pd(1.0 / static_cast<double>(tab.p));
  for (std::size_t k = 0; k < n; k += 8) {
    const D A = _mm256_loadu_pd(a + k), B = _mm256_loadu_pd(a + k + 4);
    D X = _mm256_unpacklo_pd(A, B), Y = _mm256_unpackhi_pd(A, B);  // t = 1 pairs
    D X2 = reduce_p(_mm256_add_pd(X, Y), p, pinv);
    D Y2 = mulw(_mm256_sub_pd(X, Y), _mm256_loadu_pd(r.iw1.data() + k / 2),
                _mm256_loadu_pd(r.iws1.data() + k / 2), p);
    const D A2 = _mm256_unpacklo_pd(X2, Y2), B2 = _mm256_unpackhi_pd(X2, Y2);
    X = _mm256_permute2f128_pd(A2, B2, 0x20);  // t = 2 groups
    Y = _mm256_permute2f128_pd(A2, B2, 0x31);
    X2 = reduce_p(_mm256_add_pd(X, Y), p, pinv);
    Y2 = mulw(_mm256_sub_pd(X, Y), _mm256_loadu_pd(r.iw2.data() + k / 2),
              _mm256_loadu_pd(r.iws2.data() + k / 2), p);
    _mm256_storeu_pd(a + k, _mm256_permute2f128_pd(X2, Y2, 0x20));
    _mm256_storeu_pd(a + k + 4, _mm256_permute2f128_pd(X2, Y2, 0x31));
  }
  std::size_t m = n >> 3, t = 4;
  for (; m > 1; m >>= 1, t <<= 1) {
    for (std::size_t i = 0; i < m; ++i) {
      const D w = _mm256_set1_pd(r.iw[m + i]), ws = _mm256_set1_pd(r.iws[m + i]);
      double* x = a + 2 * i * t;
      double* y = x + t;
      for (std::size_t j = 0; j < t; j += 4) {
        const D X = _mm256_loadu_pd(x + j), Y = _mm256_loadu_pd(y + j);
        _mm256_storeu_pd(x + j, reduce_p(_mm256_add_pd(X, Y), p, pinv));
        _mm256_storeu_pd(y + j, mulw(_mm256_sub_pd(X, Y), w, ws, p));
      }
    }
  }
  const D ni = _mm256_set1_pd(r.ninv), nis = _mm256_set1_pd(r.ninv_s);
  const D niw = _mm256_set1_pd(r.ninv_w), niws = _mm256_set1_pd(r.ninv_ws);
  double* x = a;
  double* y = a + t;
  for (std::size_t j = 0; j < t; j += 4) {
    const D X = _mm256_loadu_pd(x + j), Y = _mm256_loadu_pd(y + j);
    _mm256_storeu_pd(x + j, mulw(_mm256_add_pd(X, Y), ni, nis, p));
    _mm256_storeu_pd(y + j, mulw(_mm256_sub_pd(X, Y), niw, niws, p));
  }
}

// x mod q in [0, q) for integral |x| < 2^51, q < 2^30.
inline D reduce_q(D x, D q, D qinv) {
  const D quot = floor_pd(_mm256_mul_pd(x, qinv));
  return fix(_mm256_fnmadd_pd(quot, q, x), q);
}

// s0, s1 may be c0, c1 (in place: each block is loaded before it is stored).
void combine(const ExpandTables& t, const ExpandLevel& lv, std::size_t l, const u32* c0,
             const u32* c1, const u32* c0p, const u32* c1p, const u64* other, const u64* t0,
             const u64* t1, u32* s0, u32* s1, u32* e0, u32* e1) {
  const std::size_t n = t.n;
  const V q = set32(t.q[l]), q2 = set32(2 * t.q[l]);
  const V pinv = set32(t.p_inv[l]), pinv_s = set32(t.p_inv_shoup[l]);
  const u32* bd = lv.kb[l][l].data();
  const u32* bo = lv.kb[1 - l][l].data();
  const u32* ad = lv.ka[l][l].data();
  const u32* ao = lv.ka[1 - l][l].data();
  const u32* m = lv.mono[l].data();
  for (std::size_t x = 0; x < n; x += 8) {
    const V s = load(c1p + x), o = pack(other + x);
    const V acc0 = _mm256_add_epi32(mul32(s, load(bd + x), load(bd + n + x), q),
                                    mul32(o, load(bo + x), load(bo + n + x), q));
    const V acc1 = _mm256_add_epi32(mul32(s, load(ad + x), load(ad + n + x), q),
                                    mul32(o, load(ao + x), load(ao + n + x), q));
    const V d0 = csub(
        mul32(_mm256_sub_epi32(_mm256_add_epi32(csub(acc0, q2), q), pack(t0 + x)), pinv, pinv_s, q),
        q);
    const V d1 = csub(
        mul32(_mm256_sub_epi32(_mm256_add_epi32(csub(acc1, q2), q), pack(t1 + x)), pinv, pinv_s, q),
        q);
    const V r0 = csub(_mm256_add_epi32(load(c0p + x), d0), q);
    const V a0 = load(c0 + x), a1 = load(c1 + x);
    store(s0 + x, csub(_mm256_add_epi32(a0, r0), q));
    store(s1 + x, csub(_mm256_add_epi32(a1, d1), q));
    if (e0) {
      const V mw = load(m + x), ms = load(m + n + x);
      store(e0 + x, csub(mul32(_mm256_sub_epi32(_mm256_add_epi32(a0, q), r0), mw, ms, q), q));
      store(e1 + x, csub(mul32(_mm256_sub_epi32(_mm256_add_epi32(a1, q), d1), mw, ms, q), q));
    }
  }
}

}  // namespace

void expand_node_avx2(const ExpandTables& t, const ExpandLevel& lv, const u32* const in[4],
                      u32* const sum[4], u32* const diff[4], ExpandScratch& s) {
  const std::size_t n = t.n;
  const u32* perm = lv.perm;
  u64* u[2] = {s.at(0), s.at(1)};
  u64* l10 = s.at(2);                                // digit 1 lifted to q0
  u64* l01 = s.at(3);                                // digit 0 lifted to q1
  double* l0p = reinterpret_cast<double*>(s.at(4));  // digits lifted to P (signed doubles)
  double* l1p = reinterpret_cast<double*>(s.at(5));
  u64* tr[2][2] = {{s.at(6), s.at(7)}, {s.at(8), s.at(9)}};  // rounding terms [poly][prime]
  // Permuted c1 and c0 limbs as u32 (the first half of their buffers).
  u32* c1p[2] = {reinterpret_cast<u32*>(s.at(10)), reinterpret_cast<u32*>(s.at(11))};
  u32* c0p[2] = {reinterpret_cast<u32*>(s.at(12)), reinterpret_cast<u32*>(s.at(13))};

  // The input usually comes from memory: stream it in ahead of the
  // permuted (random-order) reads below.
  for (std::size_t i = 0; i < 4; ++i) {
    const char* b = reinterpret_cast<const char*>(in[i]);
    for (std::size_t off = 0; off < n * sizeof(u32); off += 64) _mm_prefetch(b + off, _MM_HINT_T0);
  }
  // 1. sigma in evaluation form; the digits of c1' in coefficient form.
  for (std::size_t l = 0; l < 2; ++l) {
    // Scalar loads: vpgatherdd is slow on CPUs with the GDS mitigation.
    const u32* __restrict a0 = in[l];
    const u32* __restrict a1 = in[2 + l];
    u32* __restrict p0 = c0p[l];
    u32* __restrict p1 = c1p[l];
    for (std::size_t x = 0; x < n; ++x) {
      const u32 k = perm[x];
      p0[x] = a0[k];
      p1[x] = a1[k];
    }
    for (std::size_t x = 0; x < n; x += 8) {
      const V g1 = load(p1 + x);
      store(u[l] + x, _mm256_cvtepu32_epi64(_mm256_castsi256_si128(g1)));
      store(u[l] + x + 4, _mm256_cvtepu32_epi64(_mm256_extracti128_si256(g1, 1)));
    }
    t.ntt_q[l]->inverse(u[l]);
  }
  // 2. Centred lifts of the digits to the other prime and to P.
  {
    const u64 q0 = t.q[0], q1 = t.q[1];
    const V h0 = set64(q0 >> 1), h1 = set64(q1 >> 1);
    const V vq0 = set64(q0), vq1 = set64(q1);
    const V q0m1 = set64(q0 - 1), q1m1 = set64(q1 - 1);
    const V d10 = set64(q1 - q0), d01 = set64(q0 - q1);  // wrap-around differences
    const D dq0 = _mm256_set1_pd(static_cast<double>(q0)),
            dq1 = _mm256_set1_pd(static_cast<double>(q1));
    for (std::size_t x = 0; x < n; x += 4) {
      const V a = load(u[0] + x), b = load(u[1] + x);
      const V na = _mm256_cmpgt_epi64(a, h0), nb = _mm256_cmpgt_epi64(b, h1);
      // a mod q1 when a <= q0/2, a - q0 + q1 when above.
      const V ar = _mm256_sub_epi64(a, _mm256_and_si256(_mm256_cmpgt_epi64(a, q1m1), vq1));
      store(l01 + x, _mm256_blendv_epi8(ar, _mm256_add_epi64(a, d10), na));
      const V br = _mm256_sub_epi64(b, _mm256_and_si256(_mm256_cmpgt_epi64(b, q0m1), vq0));
      store(l10 + x, _mm256_blendv_epi8(br, _mm256_add_epi64(b, d01), nb));
      // The centred digits themselves, as signed doubles (NTT inputs mod P).
      _mm256_storeu_pd(l0p + x,
                       _mm256_sub_pd(to_d(a), _mm256_and_pd(_mm256_castsi256_pd(na), dq0)));
      _mm256_storeu_pd(l1p + x,
                       _mm256_sub_pd(to_d(b), _mm256_and_pd(_mm256_castsi256_pd(nb), dq1)));
    }
  }
  t.ntt_q[0]->forward_lazy(l10);
  t.ntt_q[1]->forward_lazy(l01);
  forward_p(l0p, t);
  forward_p(l1p, t);
  // 3. The P limb of the key-switch sums (|.| <= P/2), then coefficient form.
  {
    const D p = _mm256_set1_pd(static_cast<double>(t.p));
    const D pinv = _mm256_set1_pd(1.0 / static_cast<double>(t.p));
    const double* b0 = lv.kbpd[0].data();
    const double* b1 = lv.kbpd[1].data();
    const double* a0 = lv.kapd[0].data();
    const double* a1 = lv.kapd[1].data();
    // Key values in [0, P), digits |v| <= 1.5P: each product is within 1.5P.
    auto prod = [&](D v, D w) {
      const D h = _mm256_mul_pd(v, w);
      const D l = _mm256_fmsub_pd(v, w, h);
      return _mm256_add_pd(_mm256_fnmadd_pd(round_pd(_mm256_mul_pd(h, pinv)), p, h), l);
    };
    for (std::size_t x = 0; x < n; x += 4) {
      const D v0 = _mm256_loadu_pd(l0p + x), v1 = _mm256_loadu_pd(l1p + x);
      const D sb =
          _mm256_add_pd(prod(v0, _mm256_loadu_pd(b0 + x)), prod(v1, _mm256_loadu_pd(b1 + x)));
      const D sa =
          _mm256_add_pd(prod(v0, _mm256_loadu_pd(a0 + x)), prod(v1, _mm256_loadu_pd(a1 + x)));
      _mm256_storeu_pd(l0p + x, reduce_p(sb, p, pinv));
      _mm256_storeu_pd(l1p + x, reduce_p(sa, p, pinv));
    }
    inverse_p(l0p, t);
    inverse_p(l1p, t);
    // The rounding term: the P limb centred (exactly, from |v| <= P), reduced
    // mod each q_l, transformed.
    const D q0 = _mm256_set1_pd(t.q[0]), q1 = _mm256_set1_pd(t.q[1]);
    const D qi0 = _mm256_set1_pd(1.0 / t.q[0]), qi1 = _mm256_set1_pd(1.0 / t.q[1]);
    for (std::size_t x = 0; x < n; x += 4) {
      const D a = reduce_p(_mm256_loadu_pd(l0p + x), p, pinv);
      const D b = reduce_p(_mm256_loadu_pd(l1p + x), p, pinv);
      store(tr[0][0] + x, to_i(reduce_q(a, q0, qi0)));
      store(tr[0][1] + x, to_i(reduce_q(a, q1, qi1)));
      store(tr[1][0] + x, to_i(reduce_q(b, q0, qi0)));
      store(tr[1][1] + x, to_i(reduce_q(b, q1, qi1)));
    }
    for (std::size_t l = 0; l < 2; ++l) {
      t.ntt_q[l]->forward(tr[0][l]);
      t.ntt_q[l]->forward(tr[1][l]);
    }
  }
  // 4. Products, division by P, and the two children.
  for (std::size_t l = 0; l < 2; ++l) {
    combine(t, lv, l, in[l], in[2 + l], c0p[l], c1p[l], l == 0 ? l10 : l01, tr[0][l], tr[1][l],
            sum[l], sum[2 + l], diff[l], diff[2 + l]);
  }
}

void write_tiles_avx2(const std::uint32_t* b, const std::uint32_t* a, std::uint32_t* dst,
                      std::size_t stride, std::size_t n, std::uint32_t q, std::uint32_t w,
                      std::uint32_t ws) {
  const V vq = set32(q), vw = set32(w), vs = set32(ws);
  // Whole 64-byte lines, written around the caches (no read for ownership).
  for (std::size_t k = 0; k < n; k += 8, dst += stride) {
    _mm256_stream_si256(reinterpret_cast<V*>(dst), csub(mul32(load(b + k), vw, vs, vq), vq));
    _mm256_stream_si256(reinterpret_cast<V*>(dst + 8), csub(mul32(load(a + k), vw, vs, vq), vq));
  }
}

}  // namespace veil::search::detail
