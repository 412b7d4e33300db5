#include "veil/search/expand_fast.h"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>

#include "veil/math/modarith.h"
#include "veil/ring/poly_ops.h"
#include "veil/rlwe/errors.h"
#include "veil/search/layout.h"
#include "veil/search/parallel.h"

namespace veil::search::detail {

namespace {
constexpr std::size_t kScratchBuffers = 14;

std::uint32_t shoup32(std::uint64_t w, std::uint64_t q) {
  return static_cast<std::uint32_t>((w << 32) / q);
}
// n values then their 32-bit Shoup constants.
std::vector<std::uint32_t> shoup32_table(const std::uint64_t* w, std::size_t n, std::uint64_t q) {
  std::vector<std::uint32_t> v(2 * n);
  for (std::size_t x = 0; x < n; ++x) {
    v[x] = static_cast<std::uint32_t>(w[x]);
    v[n + x] = shoup32(w[x], q);
  }
  return v;
}
std::vector<std::uint64_t> shoup64_table(const std::uint64_t* w, std::size_t n, std::uint64_t q) {
  std::vector<std::uint64_t> v(2 * n);
  for (std::size_t x = 0; x < n; ++x) {
    v[x] = w[x];
    v[n + x] = math::shoup_precompute(w[x], q);
  }
  return v;
}
}  // namespace

ExpandScratch::ExpandScratch(std::size_t n_) : buf(kScratchBuffers * n_), n(n_) {}

FastExpansion::FastExpansion(const SearchConfig& config, const rlwe::Context& ctx,
                             const rlwe::GaloisKeys& keys, ExpandNodeFn node)
    : dimension_(config.dimension), node_(node) {
  const auto& kb = ctx.key_basis();
  if (ctx.scheme() != rlwe::Scheme::kCkks || ctx.max_level() != 1 || kb.size() != 3) {
    throw rlwe::MismatchError("fast expansion: expected CKKS parameters with two primes and P");
  }
  const std::size_t n = ctx.n();
  t_.n = n;
  t_.p = kb.modulus(2).value();
  t_.ntt_p = &kb.ntt(2);
  for (std::size_t l = 0; l < 2; ++l) {
    const math::Modulus& q = kb.modulus(l);
    if (q.value() >= (std::uint64_t{1} << 30)) {
      throw rlwe::MismatchError("fast expansion: ciphertext primes must be below 2^30");
    }
    t_.q[l] = static_cast<std::uint32_t>(q.value());
    t_.ntt_q[l] = &kb.ntt(l);
    t_.p_mod_q[l] = static_cast<std::uint32_t>(q.reduce(t_.p));
    t_.p_inv[l] = static_cast<std::uint32_t>(math::inv_mod(q.reduce(t_.p), q));
    t_.p_inv_shoup[l] = shoup32(t_.p_inv[l], q.value());
  }
  // The centred lifts move a digit of one prime to the other with one
  // conditional subtraction (or addition): the primes must be within 2x.
  if (t_.q[0] >= 2 * std::uint64_t{t_.q[1]} || t_.q[1] >= 2 * std::uint64_t{t_.q[0]}) {
    throw rlwe::MismatchError("fast expansion: ciphertext primes differ by more than 2x");
  }
  if (t_.p >= (std::uint64_t{1} << 61) / 4) {
    throw rlwe::MismatchError("fast expansion: special prime too large");
  }
  build_p_tables();
  const auto& basis = ctx.basis_q(1);
  for (std::size_t i = 0; i < config.expansion_levels; ++i) {
    const std::uint64_t g = (n >> i) + 1;
    auto it = keys.keys.find(g);
    if (it == keys.keys.end()) {
      throw rlwe::MismatchError("fast expansion: no Galois key for element " + std::to_string(g));
    }
    const rlwe::KeySwitchKey& key = it->second;
    if (key.parts() != 2) throw rlwe::MismatchError("fast expansion: key must have two parts");
    ExpandLevel lv;
    lv.perm = ctx.galois_permutation(g).data();
    for (std::size_t part = 0; part < 2; ++part) {
      for (std::size_t l = 0; l < 2; ++l) {
        lv.kb[part][l] = shoup32_table(key.b[part].limb(l), n, t_.q[l]);
        lv.ka[part][l] = shoup32_table(key.a[part].limb(l), n, t_.q[l]);
      }
      lv.kbp[part] = shoup64_table(key.b[part].limb(2), n, t_.p);
      lv.kap[part] = shoup64_table(key.a[part].limb(2), n, t_.p);
      lv.kbpd[part].assign(key.b[part].limb(2), key.b[part].limb(2) + n);
      lv.kapd[part].assign(key.a[part].limb(2), key.a[part].limb(2) + n);
    }
    // X^(-k) = -X^(n-k) in Z[X]/(X^n + 1).
    const std::size_t k = std::size_t{1} << i;
    ring::RnsPoly m(n, 2, ring::Form::kCoeff);
    for (std::size_t l = 0; l < 2; ++l) m.limb(l)[n - k] = basis.modulus(l).value() - 1;
    ring::to_eval(m, basis);
    for (std::size_t l = 0; l < 2; ++l) lv.mono[l] = shoup32_table(m.limb(l), n, t_.q[l]);
    t_.levels.push_back(std::move(lv));
  }
  // The AVX2 node needs 8-lane blocks, n >= 16 and P < 2^50 (its doubles).
  const auto kernel = math::default_ntt_kernel();
  const bool avx2 = (kernel == math::NttKernel::kAvx2 || kernel == math::NttKernel::kAvx2Small) &&
                    n % 8 == 0 && n >= 16 && t_.p < (std::uint64_t{1} << 50);
  if (!node_) node_ = avx2 ? expand_node_avx2 : expand_node_scalar;
  write_tiles_ = avx2 ? write_tiles_avx2 : write_tiles_scalar;
}

void advise_huge_pages(void* p, std::size_t bytes) {
#ifdef MADV_HUGEPAGE
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t last = (begin + bytes) & ~(kHuge - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

void FastExpansion::build_p_tables() {
  const std::size_t n = t_.n;
  const double p = static_cast<double>(t_.p);
  PNttTables& d = t_.pd;
  auto fill = [&](const std::uint64_t* roots, std::vector<double>& w, std::vector<double>& ws,
                  std::vector<double>& w2, std::vector<double>& ws2, std::vector<double>& w1,
                  std::vector<double>& ws1) {
    w.resize(n);
    ws.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      w[k] = static_cast<double>(roots[k]);
      ws[k] = w[k] / p;
    }
    // t = 2 (m = n/4 groups of four): lanes [g, g, g + 1, g + 1] per two groups.
    // t = 1 (m = n/2 pairs): lanes [4c, 4c + 2, 4c + 1, 4c + 3] per eight values.
    w2.resize(n / 2);
    ws2.resize(n / 2);
    w1.resize(n / 2);
    ws1.resize(n / 2);
    static constexpr std::size_t kPairLane[4] = {0, 2, 1, 3};
    for (std::size_t c = 0; c < n / 8; ++c) {
      for (std::size_t lane = 0; lane < 4; ++lane) {
        w2[4 * c + lane] = w[n / 4 + 2 * c + lane / 2];
        w1[4 * c + lane] = w[n / 2 + 4 * c + kPairLane[lane]];
        ws2[4 * c + lane] = w2[4 * c + lane] / p;
        ws1[4 * c + lane] = w1[4 * c + lane] / p;
      }
    }
  };
  fill(t_.ntt_p->roots(), d.w, d.ws, d.w2, d.ws2, d.w1, d.ws1);
  fill(t_.ntt_p->inv_roots(), d.iw, d.iws, d.iw2, d.iws2, d.iw1, d.iws1);
  d.ninv = static_cast<double>(t_.ntt_p->inv_n().w);
  d.ninv_s = d.ninv / p;
  d.ninv_w = static_cast<double>(t_.ntt_p->inv_n_w().w);
  d.ninv_ws = d.ninv_w / p;
}

void FastExpansion::run(const rlwe::Ciphertext& root, std::size_t threads, const Sink& sink) const {
  const std::size_t n = t_.n, levels = t_.levels.size(), ct_words = 4 * n;
  if (root.size() != 2 || root.level != 1 || root.polys[0].form() != ring::Form::kEval ||
      root.polys[1].form() != ring::Form::kEval || root.polys[0].limbs() != 2 ||
      root.polys[1].limbs() != 2 || root.polys[0].n() != n || root.polys[1].n() != n) {
    throw rlwe::MismatchError(
        "fast expansion: expected a level-1 size-2 ciphertext in evaluation form");
  }
  if (threads == 0) threads = 1;
  using Buffer = std::vector<std::uint32_t, ring::PolyAllocator<std::uint32_t>>;
  auto limbs_of = [n](std::uint32_t* base) {
    return std::array<std::uint32_t*, 4>{base, base + n, base + 2 * n, base + 3 * n};
  };
  // Breadth first for the top levels, until there are enough subtrees to
  // share out: level i turns slots [0, 2^i) into [0, 2^(i+1)), the sum child
  // in place and the difference child in slot k + 2^i. Then each subtree goes
  // depth first on one thread, so a node's children are still in cache when
  // they are expanded and only L - top ciphertexts per thread are live.
  std::size_t top = 0;
  while (top < levels && (std::size_t{1} << top) < kSubtreesPerThread * threads) ++top;
  Buffer cts(ct_words << top);
  for (std::size_t p = 0; p < 2; ++p) {
    for (std::size_t l = 0; l < 2; ++l) {
      const std::uint64_t* src = root.polys[p].limb(l);
      std::uint32_t* dst = cts.data() + (2 * p + l) * n;
      for (std::size_t x = 0; x < n; ++x) dst[x] = static_cast<std::uint32_t>(src[x]);
    }
  }
  std::vector<ExpandScratch> scratch;
  scratch.reserve(threads);
  for (std::size_t t = 0; t < threads; ++t) scratch.emplace_back(n);
  for (std::size_t i = 0; i < top; ++i) {
    const std::size_t half = std::size_t{1} << i;
    const ExpandLevel& lv = t_.levels[i];
    parallel_for(half, threads, [&](std::size_t k, std::size_t th) {
      auto c = limbs_of(cts.data() + k * ct_words);
      auto e = limbs_of(cts.data() + (k + half) * ct_words);
      const std::uint32_t* const in[4] = {c[0], c[1], c[2], c[3]};
      std::uint32_t* const diff[4] = {e[0], e[1], e[2], e[3]};
      node_(t_, lv, in, c.data(), diff, scratch[th]);
    });
  }
  // Depth first below `top`: per thread one buffer per remaining level for
  // the difference child (the sum child replaces its parent in place).
  const std::size_t subtrees = std::size_t{1} << top;
  std::vector<Buffer> stacks(threads);
  parallel_for(subtrees, threads, [&](std::size_t k, std::size_t th) {
    Buffer& stack = stacks[th];
    if (stack.empty() && levels > top) stack.resize(ct_words * (levels - top));
    expand_subtree(cts.data() + k * ct_words, top, k, top, stack.data(), scratch[th], sink);
  });
}

// Expands the ciphertext at `ct` (level `level`, slot `slot`) down to the
// leaves, depth first; the difference child made at level i goes to stack
// entry i - top.
void FastExpansion::expand_subtree(std::uint32_t* ct, std::size_t level, std::size_t slot,
                                   std::size_t top, std::uint32_t* stack, ExpandScratch& scratch,
                                   const Sink& sink) const {
  const std::size_t n = t_.n, levels = t_.levels.size();
  const std::array<std::uint32_t*, 4> c{ct, ct + n, ct + 2 * n, ct + 3 * n};
  if (level == levels) {
    if (slot < dimension_) sink({Output{slot, {c[0], c[1], c[2], c[3]}}});
    return;
  }
  const std::size_t half = std::size_t{1} << level;
  const bool need_diff = slot + half < dimension_;
  std::uint32_t* e = stack + (level - top) * 4 * n;
  const std::uint32_t* const in[4] = {c[0], c[1], c[2], c[3]};
  std::uint32_t* const diff[4] = {need_diff ? e : nullptr, need_diff ? e + n : nullptr,
                                  need_diff ? e + 2 * n : nullptr, need_diff ? e + 3 * n : nullptr};
  node_(t_, t_.levels[level], in, c.data(), diff, scratch);
  expand_subtree(ct, level + 1, slot, top, stack, scratch, sink);
  if (need_diff) expand_subtree(e, level + 1, slot + half, top, stack, scratch, sink);
}

}  // namespace veil::search::detail
