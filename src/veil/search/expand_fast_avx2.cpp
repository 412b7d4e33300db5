// The expansion node (expand_fast.h) with AVX2 intrinsics.
//
// Ciphertext-prime arithmetic runs on eight 32-bit lanes with 32-bit Shoup
// constants (as the kAvx2Small NTT does). Arithmetic mod P (< 2^50) runs in
// doubles with FMA: for x, y < P, h = fl(x y) and l = x y - h (exact, by
// FMA), the quotient estimate floor(h / P) is within 1 of the true one, so
// x y - floor(h / P) P = fma(-quot, P, h) + l is exact and in [-P, 2P). The
// same trick reduces the centred P-limb values mod q_l. Every result is the
// fully reduced residue the scalar node computes, so the two are identical.
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
// x y mod P in [0, P) for x, y < P < 2^50 (see the top of the file).
inline D mulmod_p(D x, D y, D p, D pinv) {
  const D h = _mm256_mul_pd(x, y);
  const D l = _mm256_fmsub_pd(x, y, h);
  const D quot = floor_pd(_mm256_mul_pd(h, pinv));
  return fix(_mm256_add_pd(_mm256_fnmadd_pd(quot, p, h), l), p);
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
  u64* l10 = s.at(2);  // digit 1 lifted to q0
  u64* l01 = s.at(3);  // digit 0 lifted to q1
  u64* l0p = s.at(4);  // digits lifted to P
  u64* l1p = s.at(5);
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
    const V p0 = set64(t.p - q0), p1 = set64(t.p - q1);
    for (std::size_t x = 0; x < n; x += 4) {
      const V a = load(u[0] + x), b = load(u[1] + x);
      const V na = _mm256_cmpgt_epi64(a, h0), nb = _mm256_cmpgt_epi64(b, h1);
      // a mod q1 when a <= q0/2, a - q0 + q1 when above.
      const V ar = _mm256_sub_epi64(a, _mm256_and_si256(_mm256_cmpgt_epi64(a, q1m1), vq1));
      store(l01 + x, _mm256_blendv_epi8(ar, _mm256_add_epi64(a, d10), na));
      const V br = _mm256_sub_epi64(b, _mm256_and_si256(_mm256_cmpgt_epi64(b, q0m1), vq0));
      store(l10 + x, _mm256_blendv_epi8(br, _mm256_add_epi64(b, d01), nb));
      store(l0p + x, _mm256_add_epi64(a, _mm256_and_si256(na, p0)));
      store(l1p + x, _mm256_add_epi64(b, _mm256_and_si256(nb, p1)));
    }
  }
  t.ntt_q[0]->forward_lazy(l10);
  t.ntt_q[1]->forward_lazy(l01);
  t.ntt_p->forward(l0p);
  t.ntt_p->forward(l1p);
  // 3. The P limb of the key-switch sums, in [0, 2P), then coefficient form.
  {
    const D p = _mm256_set1_pd(static_cast<double>(t.p));
    const D pinv = _mm256_set1_pd(1.0 / static_cast<double>(t.p));
    const u64* b0 = lv.kbp[0].data();
    const u64* b1 = lv.kbp[1].data();
    const u64* a0 = lv.kap[0].data();
    const u64* a1 = lv.kap[1].data();
    for (std::size_t x = 0; x < n; x += 4) {
      const D v0 = to_d(load(l0p + x)), v1 = to_d(load(l1p + x));
      const D sb = _mm256_add_pd(mulmod_p(v0, to_d(load(b0 + x)), p, pinv),
                                 mulmod_p(v1, to_d(load(b1 + x)), p, pinv));
      const D sa = _mm256_add_pd(mulmod_p(v0, to_d(load(a0 + x)), p, pinv),
                                 mulmod_p(v1, to_d(load(a1 + x)), p, pinv));
      store(l0p + x, to_i(sb));
      store(l1p + x, to_i(sa));
    }
  }
  t.ntt_p->inverse(l0p);
  t.ntt_p->inverse(l1p);
  // The rounding term: the P limb centred, reduced mod each q_l, transformed.
  {
    const D p = _mm256_set1_pd(static_cast<double>(t.p));
    const D hp = _mm256_set1_pd(static_cast<double>(t.p >> 1));
    const D q0 = _mm256_set1_pd(t.q[0]), q1 = _mm256_set1_pd(t.q[1]);
    const D qi0 = _mm256_set1_pd(1.0 / t.q[0]), qi1 = _mm256_set1_pd(1.0 / t.q[1]);
    for (std::size_t x = 0; x < n; x += 4) {
      D a = to_d(load(l0p + x)), b = to_d(load(l1p + x));
      a = _mm256_sub_pd(a, _mm256_and_pd(_mm256_cmp_pd(a, hp, _CMP_GT_OQ), p));
      b = _mm256_sub_pd(b, _mm256_and_pd(_mm256_cmp_pd(b, hp, _CMP_GT_OQ), p));
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
