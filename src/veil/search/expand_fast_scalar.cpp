// The portable expansion node and tile writer (expand_fast.h): the
// reference the AVX2 ones (expand_fast_avx2.cpp) match residue for residue,
// and the path on CPUs without AVX2. Mod P it uses 64-bit Shoup products and
// the library's NTT tables.
#include <cstdint>

#include "veil/math/modarith.h"
#include "veil/math/ntt.h"
#include "veil/search/expand_fast.h"

namespace veil::search::detail {
namespace {

using u32 = std::uint32_t;
using u64 = std::uint64_t;

// x * w mod q in [0, 2q) for x < 2^32, w < q < 2^31, ws = floor(w 2^32 / q).
inline u32 mul32(u32 x, u32 w, u32 ws, u32 q) {
  const u32 quot = static_cast<u32>((static_cast<u64>(x) * ws) >> 32);
  return x * w - quot * q;
}
inline u32 csub(u32 x, u32 q) { return x >= q ? x - q : x; }

// The fused last pass for ciphertext prime l (step 4 in expand_fast.h).
// s0, s1 may be c0, c1 (in place: each x is read before it is written).
void combine(const ExpandTables& t, const ExpandLevel& lv, std::size_t l, const u32* c0,
             const u32* c1, const u64* __restrict c0p, const u64* __restrict c1p,
             const u64* __restrict other, const u64* __restrict t0, const u64* __restrict t1,
             u32* s0, u32* s1, u32* e0, u32* e1) {
  const std::size_t n = t.n;
  const u32 q = t.q[l], pinv = t.p_inv[l], pinv_s = t.p_inv_shoup[l];
  const u32* __restrict bd = lv.kb[l][l].data();      // part l (digit in place)
  const u32* __restrict bo = lv.kb[1 - l][l].data();  // part 1 - l (lifted digit)
  const u32* __restrict ad = lv.ka[l][l].data();
  const u32* __restrict ao = lv.ka[1 - l][l].data();
  const u32* __restrict m = lv.mono[l].data();
  for (std::size_t x = 0; x < n; ++x) {
    const u32 s = static_cast<u32>(c1p[x]), o = static_cast<u32>(other[x]);
    // Digit products: each in [0, 2q), the sums in [0, 4q).
    const u32 acc0 = mul32(s, bd[x], bd[n + x], q) + mul32(o, bo[x], bo[n + x], q);
    const u32 acc1 = mul32(s, ad[x], ad[n + x], q) + mul32(o, ao[x], ao[n + x], q);
    // Division by P: (acc - rounding term) * P^-1, operands below 3q.
    const u32 d0 = csub(mul32(csub(acc0, 2 * q) + q - static_cast<u32>(t0[x]), pinv, pinv_s, q), q);
    const u32 d1 = csub(mul32(csub(acc1, 2 * q) + q - static_cast<u32>(t1[x]), pinv, pinv_s, q), q);
    const u32 r0 = csub(static_cast<u32>(c0p[x]) + d0, q);  // sigma(c) = (c0' + d0, d1)
    const u32 a0 = c0[x], a1 = c1[x];
    s0[x] = csub(a0 + r0, q);
    s1[x] = csub(a1 + d1, q);
    if (e0) {
      e0[x] = csub(mul32(a0 + q - r0, m[x], m[n + x], q), q);
      e1[x] = csub(mul32(a1 + q - d1, m[x], m[n + x], q), q);
    }
  }
}

}  // namespace

void expand_node_scalar(const ExpandTables& t, const ExpandLevel& lv, const u32* const in[4],
                        u32* const sum[4], u32* const diff[4], ExpandScratch& s) {
  const std::size_t n = t.n;
  const u32* __restrict perm = lv.perm;
  u64* u[2] = {s.at(0), s.at(1)};
  u64* __restrict l10 = s.at(2);  // digit 1 lifted to q0
  u64* __restrict l01 = s.at(3);  // digit 0 lifted to q1
  u64* __restrict l0p = s.at(4);  // digits lifted to P
  u64* __restrict l1p = s.at(5);
  u64* tr[2][2] = {{s.at(6), s.at(7)}, {s.at(8), s.at(9)}};  // rounding terms [poly][prime]
  u64* c1p[2] = {s.at(10), s.at(11)};
  u64* c0p[2] = {s.at(12), s.at(13)};

  // 1. sigma in evaluation form; the digits of c1' in coefficient form.
  for (std::size_t l = 0; l < 2; ++l) {
    const u32* __restrict a0 = in[l];
    const u32* __restrict a1 = in[2 + l];
    u64* __restrict p0 = c0p[l];
    u64* __restrict p1 = c1p[l];
    u64* __restrict ul = u[l];
    for (std::size_t x = 0; x < n; ++x) {
      const u32 k = perm[x];
      p0[x] = a0[k];
      p1[x] = a1[k];
      ul[x] = a1[k];
    }
    t.ntt_q[l]->inverse(ul);
  }
  // 2. Centred lifts of the digits to the other prime and to P.
  {
    const u64 q0 = t.q[0], q1 = t.q[1], p = t.p;
    const u64 h0 = q0 >> 1, h1 = q1 >> 1;
    const u64* __restrict u0 = u[0];
    const u64* __restrict u1 = u[1];
    for (std::size_t x = 0; x < n; ++x) {
      const u64 a = u0[x], b = u1[x];
      const bool na = a > h0, nb = b > h1;
      l01[x] = na ? a + q1 - q0 : (a >= q1 ? a - q1 : a);
      l10[x] = nb ? b + q0 - q1 : (b >= q0 ? b - q0 : b);
      l0p[x] = na ? a + p - q0 : a;
      l1p[x] = nb ? b + p - q1 : b;
    }
  }
  t.ntt_q[0]->forward_lazy(l10);
  t.ntt_q[1]->forward_lazy(l01);
  t.ntt_p->forward(l0p);
  t.ntt_p->forward(l1p);
  // 3. The P limb of the key-switch sums, in [0, 2P), then coefficient form.
  {
    const u64 p = t.p, two_p = 2 * p;
    const u64* __restrict b0 = lv.kbp[0].data();
    const u64* __restrict b1 = lv.kbp[1].data();
    const u64* __restrict a0 = lv.kap[0].data();
    const u64* __restrict a1 = lv.kap[1].data();
    for (std::size_t x = 0; x < n; ++x) {
      const u64 v0 = l0p[x], v1 = l1p[x];
      u64 sb = math::mul_shoup_lazy(v0, b0[x], b0[n + x], p) +
               math::mul_shoup_lazy(v1, b1[x], b1[n + x], p);
      u64 sa = math::mul_shoup_lazy(v0, a0[x], a0[n + x], p) +
               math::mul_shoup_lazy(v1, a1[x], a1[n + x], p);
      l0p[x] = sb >= two_p ? sb - two_p : sb;
      l1p[x] = sa >= two_p ? sa - two_p : sa;
    }
  }
  t.ntt_p->inverse(l0p);
  t.ntt_p->inverse(l1p);
  // The rounding term: the P limb centred, reduced mod each q_l, transformed.
  {
    const u64 p = t.p, hp = p >> 1;
    for (std::size_t l = 0; l < 2; ++l) {
      const math::Modulus& qm = t.ntt_q[l]->modulus();
      const u64 q = qm.value(), pq = t.p_mod_q[l];
      const u64* __restrict v0 = l0p;
      const u64* __restrict v1 = l1p;
      u64* __restrict o0 = tr[0][l];
      u64* __restrict o1 = tr[1][l];
      for (std::size_t x = 0; x < n; ++x) {
        const u64 a = v0[x], b = v1[x];
        const u64 ra = qm.reduce(a), rb = qm.reduce(b);
        o0[x] = a > hp ? (ra >= pq ? ra - pq : ra + q - pq) : ra;
        o1[x] = b > hp ? (rb >= pq ? rb - pq : rb + q - pq) : rb;
      }
      t.ntt_q[l]->forward(o0);
      t.ntt_q[l]->forward(o1);
    }
  }
  // 4. Products, division by P, and the two children.
  for (std::size_t l = 0; l < 2; ++l) {
    combine(t, lv, l, in[l], in[2 + l], c0p[l], c1p[l], l == 0 ? l10 : l01, tr[0][l], tr[1][l],
            sum[l], sum[2 + l], diff[l], diff[2 + l]);
  }
}

void write_tiles_scalar(const std::uint32_t* b, const std::uint32_t* a, std::uint32_t* dst,
                        std::size_t stride, std::size_t n, std::uint32_t q, std::uint32_t w,
                        std::uint32_t ws) {
  for (std::size_t k = 0; k < n; k += 8, dst += stride) {
    for (std::size_t i = 0; i < 8; ++i) dst[i] = csub(mul32(b[k + i], w, ws, q), q);
    for (std::size_t i = 0; i < 8; ++i) dst[8 + i] = csub(mul32(a[k + i], w, ws, q), q);
  }
}

}  // namespace veil::search::detail
