// AVX2 NTT kernel for primes q < 2^30: the scalar kernel's lazy Harvey
// butterflies on eight 32-bit lanes per register.
//
// With q < 2^30 every lazy value (< 4q) fits 32 bits, so the transform runs
// on a packed 32-bit copy of the coefficients, kept in the caller's own
// buffer: the first half of the u64 array's bytes. Forward packs in a
// separate front-to-back pass; the inverse packs while reading its first
// (in-register) stage. Unpacking runs back to front (forward: fused into the
// last stage; inverse: a separate pass), so no unread value is overwritten.
//
// Shoup products use 32-bit constants ws = floor(w * 2^32 / q): for y < 2^32
// the quotient floor(y * ws / 2^32) is at most 1 below floor(y * w / q), so
// y * w - quot * q lies in [0, 2q) and is exact in 32-bit arithmetic. The
// high halves come from vpmuludq (even and odd lanes), the low products from
// vpmulld. Conditional subtractions are min(a, a - b) on unsigned lanes.
//
// Layers with t >= 8 broadcast one root per group. The last three forward
// layers (first three inverse ones) run per 16-coefficient block in
// registers, with the roots read from the lane-ordered tables built in
// ntt.cpp. Within an 8-coefficient chunk the packed data is kept in a fixed
// permuted order (the t >= 8 layers do not care), which saves shuffles:
// forward chunks hold coefficients {0,1,4,5,2,3,6,7}, inverse ones
// {0,2,4,6,1,3,5,7}.
//
// Ranges match the scalar kernel: forward [0, 4q), inverse [0, 2q); fully
// reduced outputs are bit-identical to it, lazy ones congruent and in range.
#include <immintrin.h>

#include "veil/math/ntt.h"

namespace veil::math::kernels {
namespace {

using V = __m256i;

inline V load(const void* p) { return _mm256_loadu_si256(static_cast<const V*>(p)); }
inline void store(void* p, V v) { _mm256_storeu_si256(static_cast<V*>(p), v); }
inline V bcast32(u32 v) { return _mm256_set1_epi32(static_cast<int>(v)); }

// a - (a >= b ? b : 0) on unsigned 32-bit lanes, for 0 < b < 2^32.
inline V csub(V a, V b) { return _mm256_min_epu32(a, _mm256_sub_epi32(a, b)); }

// shuffle_ps on integer vectors: per 128-bit lane (a[i0], a[i1], b[i2], b[i3]).
template <int kImm>
inline V shuf2(V a, V b) {
  return _mm256_castps_si256(
      _mm256_shuffle_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), kImm));
}
constexpr int kEven = _MM_SHUFFLE(2, 0, 2, 0);
constexpr int kOdd = _MM_SHUFFLE(3, 1, 3, 1);

// Roots for one vector of butterflies: w, ws, and ws_odd (the Shoup constant
// of odd lane 2k+1 moved to lane 2k, for the vpmuludq of the odd lanes).
struct Root {
  V w, ws, ws_odd;
  // Same root in every lane.
  Root(u32 w_, u32 ws_) : w(bcast32(w_)), ws(bcast32(ws_)), ws_odd(ws) {}
  // Lane pairs (2k, 2k+1) share their root.
  static Root paired(V w_, V ws_) { return Root(w_, ws_, ws_); }
  // Any lane order.
  static Root any(V w_, V ws_) { return Root(w_, ws_, _mm256_shuffle_epi32(ws_, 0xF5)); }

 private:
  Root(V w_, V ws_, V wso) : w(w_), ws(ws_), ws_odd(wso) {}
};

struct Consts {
  V q, two_q;
  explicit Consts(u64 qv)
      : q(bcast32(static_cast<u32>(qv))), two_q(bcast32(static_cast<u32>(2 * qv))) {}
};

// y * w mod q in [0, 2q) for any y < 2^32.
inline V mul_root(V y, const Root& r, const Consts& c) {
  const V pe = _mm256_mul_epu32(y, r.ws);                                  // even lanes
  const V po = _mm256_mul_epu32(_mm256_shuffle_epi32(y, 0xF5), r.ws_odd);  // odd lanes
  const V quot = _mm256_blend_epi32(_mm256_shuffle_epi32(pe, 0xF5), po, 0xAA);
  return _mm256_sub_epi32(_mm256_mullo_epi32(y, r.w), _mm256_mullo_epi32(quot, c.q));
}

// Cooley-Tukey: x, y in [0, 4q) -> x + wy, x - wy in [0, 4q).
inline void fwd_bf(V& x, V& y, const Root& r, const Consts& c) {
  const V xr = csub(x, c.two_q);
  const V t = mul_root(y, r, c);
  x = _mm256_add_epi32(xr, t);
  y = _mm256_sub_epi32(_mm256_add_epi32(xr, c.two_q), t);
}
// Gentleman-Sande: x, y in [0, 2q) -> x + y, w(x - y) in [0, 2q).
inline void inv_bf(V& x, V& y, const Root& r, const Consts& c) {
  const V s = csub(_mm256_add_epi32(x, y), c.two_q);
  y = mul_root(_mm256_add_epi32(_mm256_sub_epi32(x, y), c.two_q), r, c);
  x = s;
}

// Two u64 vectors (coefficients 0-3, 4-7 of a chunk) -> one packed chunk in
// forward order {0,1,4,5,2,3,6,7}.
inline V pack(const u64* p) { return shuf2<kEven>(load(p), load(p + 4)); }

// Stores the u32 lanes of v (natural order) as eight u64.
inline void store_wide(u64* p, V v) {
  store(p, _mm256_cvtepu32_epi64(_mm256_castsi256_si128(v)));
  store(p + 4, _mm256_cvtepu32_epi64(_mm256_extracti128_si256(v, 1)));
}

void forward(u64* a, const NttTables& tab, bool lazy) {
  const std::size_t n = tab.size();
  const Consts c(tab.modulus().value());
  const u32* w = tab.small_roots();
  const u32* ws = tab.small_roots_shoup();
  u32* b = reinterpret_cast<u32*>(a);  // accessed through vector loads/stores only

  // Pack, front to back: chunk k's u32 bytes lie below its u64 bytes.
  for (std::size_t k = 0; k < n; k += 8) store(b + k, pack(a + k));

  // Layers with t >= 8, two at a time while both have t >= 8 (half the
  // loads and stores), then the odd one left.
  std::size_t m = 1;
  std::size_t t = n >> 1;
  for (; t >= 16; m <<= 2, t >>= 2) {
    for (std::size_t i = 0; i < m; ++i) {
      const Root r(w[m + i], ws[m + i]);
      const Root r0(w[2 * m + 2 * i], ws[2 * m + 2 * i]);
      const Root r1(w[2 * m + 2 * i + 1], ws[2 * m + 2 * i + 1]);
      u32* p = b + 2 * i * t;
      const std::size_t h = t / 2;
      for (std::size_t j = 0; j < h; j += 8) {
        V x0 = load(p + j), x1 = load(p + h + j), x2 = load(p + t + j), x3 = load(p + t + h + j);
        fwd_bf(x0, x2, r, c);
        fwd_bf(x1, x3, r, c);
        fwd_bf(x0, x1, r0, c);
        fwd_bf(x2, x3, r1, c);
        store(p + j, x0);
        store(p + h + j, x1);
        store(p + t + j, x2);
        store(p + t + h + j, x3);
      }
    }
  }
  for (; t >= 8; m <<= 1, t >>= 1) {
    for (std::size_t i = 0; i < m; ++i) {
      const Root r(w[m + i], ws[m + i]);
      u32* xp = b + 2 * i * t;
      u32* yp = xp + t;
      for (std::size_t j = 0; j < t; j += 8) {
        V x = load(xp + j), y = load(yp + j);
        fwd_bf(x, y, r, c);
        store(xp + j, x);
        store(yp + j, y);
      }
    }
  }

  // t = 4, 2, 1 per block of 16, back to front so that the u64 output of
  // block k (bytes 128k..) only covers blocks already done.
  const u32* w4 = w + n / 8;
  const u32* ws4 = ws + n / 8;
  const u32* w2 = w + 3 * n / 8;
  const u32* ws2 = ws + 3 * n / 8;
  const u32* w1 = w + 7 * n / 8;
  const u32* ws1 = ws + 7 * n / 8;
  for (std::size_t k = n / 16; k-- > 0;) {
    const V A = load(b + 16 * k), B = load(b + 16 * k + 8);
    // t = 4: X = A0 A1 B0 B1 | A2 A3 B2 B3, Y = A4 A5 B4 B5 | A6 A7 B6 B7.
    V x = _mm256_unpacklo_epi64(A, B), y = _mm256_unpackhi_epi64(A, B);
    {
      const V rw = _mm256_broadcastsi128_si256(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(w4 + 4 * k)));
      const V rs = _mm256_broadcastsi128_si256(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(ws4 + 4 * k)));
      fwd_bf(x, y, Root::paired(rw, rs), c);
    }
    // t = 2: X = A0 A1 B0 B1 | A4 A5 B4 B5, Y = A2 A3 B2 B3 | A6 A7 B6 B7.
    V x2 = _mm256_permute2x128_si256(x, y, 0x20), y2 = _mm256_permute2x128_si256(x, y, 0x31);
    fwd_bf(x2, y2, Root::paired(load(w2 + 8 * k), load(ws2 + 8 * k)), c);
    // t = 1: X = A0 B0 A2 B2 | A4 B4 A6 B6, Y = A1 B1 A3 B3 | A5 B5 A7 B7.
    x = shuf2<kEven>(x2, y2);
    y = shuf2<kOdd>(x2, y2);
    fwd_bf(x, y, Root::any(load(w1 + 8 * k), load(ws1 + 8 * k)), c);
    if (!lazy) {
      x = csub(csub(x, c.two_q), c.q);
      y = csub(csub(y, c.two_q), c.q);
    }
    // Back to natural order: u = A0 A1 B0 B1 | A4 A5 B4 B5, v = A2 A3 B2 B3 | A6 A7 B6 B7.
    const V u = _mm256_unpacklo_epi32(x, y), v = _mm256_unpackhi_epi32(x, y);
    store_wide(a + 16 * k, _mm256_unpacklo_epi64(u, v));
    store_wide(a + 16 * k + 8, _mm256_unpackhi_epi64(u, v));
  }
}

void inverse(u64* a, const NttTables& tab, bool lazy) {
  const std::size_t n = tab.size();
  const Consts c(tab.modulus().value());
  const u32* w = tab.small_inv_roots();
  const u32* ws = tab.small_inv_roots_shoup();
  u32* b = reinterpret_cast<u32*>(a);

  // t = 1, 2, 4 per block of 16, packing on the way in (front to back: the
  // u32 bytes of block k lie below its u64 bytes).
  const u32* w1 = w + n / 2;
  const u32* ws1 = ws + n / 2;
  const u32* w2 = w + n / 4;
  const u32* ws2 = ws + n / 4;
  const u32* w4 = w + n / 8;
  const u32* ws4 = ws + n / 8;
  for (std::size_t k = 0; k < n / 16; ++k) {
    const V A = pack(a + 16 * k), B = pack(a + 16 * k + 8);  // A0 A1 A4 A5 | A2 A3 A6 A7
    // t = 1: X = A0 A4 B0 B4 | A2 A6 B2 B6, Y = A1 A5 B1 B5 | A3 A7 B3 B7.
    V x = shuf2<kEven>(A, B), y = shuf2<kOdd>(A, B);
    inv_bf(x, y, Root::any(load(w1 + 8 * k), load(ws1 + 8 * k)), c);
    // t = 2: X = A0 A4 B0 B4 | A1 A5 B1 B5, Y = A2 A6 B2 B6 | A3 A7 B3 B7.
    V x2 = _mm256_permute2x128_si256(x, y, 0x20), y2 = _mm256_permute2x128_si256(x, y, 0x31);
    {
      const V rw = _mm256_broadcastsi128_si256(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(w2 + 4 * k)));
      const V rs = _mm256_broadcastsi128_si256(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(ws2 + 4 * k)));
      inv_bf(x2, y2, Root::any(rw, rs), c);
    }
    // t = 4: X = A0 B0 A2 B2 | A1 B1 A3 B3, Y = A4 B4 A6 B6 | A5 B5 A7 B7.
    x = shuf2<kEven>(x2, y2);
    y = shuf2<kOdd>(x2, y2);
    {
      u64 pw, ps;
      __builtin_memcpy(&pw, w4 + 2 * k, 8);
      __builtin_memcpy(&ps, ws4 + 2 * k, 8);
      const V rw = _mm256_set1_epi64x(static_cast<long long>(pw));
      const V rs = _mm256_set1_epi64x(static_cast<long long>(ps));
      inv_bf(x, y, Root::any(rw, rs), c);
    }
    // Chunks in inverse order: A0 A2 A4 A6 | A1 A3 A5 A7.
    store(b + 16 * k, shuf2<kEven>(x, y));
    store(b + 16 * k + 8, shuf2<kOdd>(x, y));
  }

  // Layers with t >= 8 up to the last one, two at a time while possible.
  std::size_t m = n >> 4;
  std::size_t t = 8;
  for (; m >= 4; m >>= 2, t <<= 2) {
    for (std::size_t i = 0; i < m / 2; ++i) {
      const Root r0(w[m + 2 * i], ws[m + 2 * i]);
      const Root r1(w[m + 2 * i + 1], ws[m + 2 * i + 1]);
      const Root r(w[m / 2 + i], ws[m / 2 + i]);
      u32* p = b + 4 * i * t;
      for (std::size_t j = 0; j < t; j += 8) {
        V x0 = load(p + j), x1 = load(p + t + j), x2 = load(p + 2 * t + j),
          x3 = load(p + 3 * t + j);
        inv_bf(x0, x1, r0, c);
        inv_bf(x2, x3, r1, c);
        inv_bf(x0, x2, r, c);
        inv_bf(x1, x3, r, c);
        store(p + j, x0);
        store(p + t + j, x1);
        store(p + 2 * t + j, x2);
        store(p + 3 * t + j, x3);
      }
    }
  }
  for (; m > 1; m >>= 1, t <<= 1) {
    for (std::size_t i = 0; i < m; ++i) {
      const Root r(w[m + i], ws[m + i]);
      u32* xp = b + 2 * i * t;
      u32* yp = xp + t;
      for (std::size_t j = 0; j < t; j += 8) {
        V x = load(xp + j), y = load(yp + j);
        inv_bf(x, y, r, c);
        store(xp + j, x);
        store(yp + j, y);
      }
    }
  }
  // Last layer with N^-1 folded in: x + y times N^-1, (x - y) times N^-1 w.
  const u64 qv = tab.modulus().value();
  const Root ninv(static_cast<u32>(tab.inv_n().w), static_cast<u32>((tab.inv_n().w << 32) / qv));
  const Root ninv_w(static_cast<u32>(tab.inv_n_w().w),
                    static_cast<u32>((tab.inv_n_w().w << 32) / qv));
  for (std::size_t j = 0; j < t; j += 8) {
    const V x = load(b + j), y = load(b + t + j);
    V r0 = mul_root(csub(_mm256_add_epi32(x, y), c.two_q), ninv, c);
    V r1 = mul_root(_mm256_add_epi32(_mm256_sub_epi32(x, y), c.two_q), ninv_w, c);
    if (!lazy) {
      r0 = csub(r0, c.q);
      r1 = csub(r1, c.q);
    }
    store(b + j, r0);
    store(b + t + j, r1);
  }

  // Unpack, back to front: chunk k's u64 bytes cover only chunks >= k.
  const V zero = _mm256_setzero_si256();
  for (std::size_t k = n; k > 0;) {
    k -= 8;
    const V v = load(b + k);  // A0 A2 A4 A6 | A1 A3 A5 A7
    // unpack with zero: u64 A0 A2 | A1 A3 and A4 A6 | A5 A7.
    const V lo = _mm256_unpacklo_epi32(v, zero), hi = _mm256_unpackhi_epi32(v, zero);
    store(a + k, _mm256_permute4x64_epi64(lo, 0xD8));
    store(a + k + 4, _mm256_permute4x64_epi64(hi, 0xD8));
  }
}

// Below this size there is not one full block of 16.
constexpr std::size_t kMinVectorSize = 16;

}  // namespace

void ntt_forward_avx2_small(u64* a, const NttTables& tab, bool lazy) {
  if (tab.size() < kMinVectorSize || !tab.has_small_tables()) {
    ntt_forward_scalar(a, tab, lazy);
  } else {
    forward(a, tab, lazy);
  }
}

void ntt_inverse_avx2_small(u64* a, const NttTables& tab, bool lazy) {
  if (tab.size() < kMinVectorSize || !tab.has_small_tables()) {
    ntt_inverse_scalar(a, tab, lazy);
  } else {
    inverse(a, tab, lazy);
  }
}

}  // namespace veil::math::kernels
