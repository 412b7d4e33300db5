// The fast probe expansion: the same operation as the generic one (the
// rlwe::Evaluator's apply_galois, add, sub and a monomial product per node),
// specialised for its one shape (N-point ring, two ciphertext primes below
// 2^30, one special prime P) and bit-identical to it.
//
// Per node c = (c0, c1) at level i, with sigma the automorphism of that level:
//   1. c1' = sigma(c1), c0' = sigma(c0): NTT-domain permutations.
//   2. Digits u_l = INTT_l(c1'_l) in [0, q_l), lifted centred to the other
//      ciphertext prime and to P, then transformed (4 forward NTTs).
//   3. The P limb of (digit * key) summed over both digits, for b and a,
//      back in coefficient form (2 inverse NTTs), reduced centred mod q_l and
//      transformed again (4 forward NTTs): the rounding term of the division
//      by P, exactly as rlwe::divide_round_by_last computes it.
//   4. One fused pass per ciphertext prime: the digit products (Shoup
//      multiplies with 32-bit constants), the division by P, sigma(c) =
//      (c0' + d0, d1), and the two children c + sigma(c) and
//      (c - sigma(c)) X^(-2^i) (Shoup product with the monomial's evaluations).
// Every step is exact modular arithmetic on fully reduced residues where the
// generic path reduces, so the output residues are identical to it.
//
// Intermediate ciphertexts are kept as 32-bit residues; scratch is allocated
// once per run and thread. The top levels run breadth first with their nodes
// split across threads, then each thread expands whole subtrees depth first
// (a node's children are expanded while they are still in cache).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"
#include "veil/search/config.h"

namespace veil::search::detail {

// Precomputed constants of one level (one Galois element).
struct ExpandLevel {
  const std::uint32_t* perm = nullptr;  // NTT-domain permutation of sigma
  // Key parts at the ciphertext primes, 32-bit Shoup form:
  // key[part][limb] for b and a, each n values then n Shoup constants.
  std::vector<std::uint32_t> kb[2][2], ka[2][2];
  // Key parts at P, 64-bit Shoup form (n values then n constants), and as
  // doubles for the AVX2 node.
  std::vector<std::uint64_t> kbp[2], kap[2];
  std::vector<double> kbpd[2], kapd[2];
  // X^(-2^i) in evaluation form per ciphertext prime, 32-bit Shoup form.
  std::vector<std::uint32_t> mono[2];
};

// Roots of the NTT mod P as doubles for the AVX2 node's FMA transforms
// (expand_fast_avx2.cpp): w and w / P per entry, the t >= 4 layers indexed
// like NttTables::roots(), the t = 2 and t = 1 layers in the lane order the
// kernel consumes them (n / 2 entries each).
struct PNttTables {
  std::vector<double> w, ws, w2, ws2, w1, ws1;           // forward
  std::vector<double> iw, iws, iw2, iws2, iw1, iws1;     // inverse
  double ninv = 0, ninv_s = 0, ninv_w = 0, ninv_ws = 0;  // last inverse layer
};

struct ExpandTables {
  std::size_t n = 0;
  std::uint32_t q[2] = {0, 0};
  std::uint64_t p = 0;
  std::uint32_t p_mod_q[2] = {0, 0};
  std::uint32_t p_inv[2] = {0, 0}, p_inv_shoup[2] = {0, 0};  // P^-1 mod q_l
  const math::NttTables* ntt_q[2] = {nullptr, nullptr};
  const math::NttTables* ntt_p = nullptr;
  PNttTables pd;
  std::vector<ExpandLevel> levels;
};

// Per-thread working buffers of one node (n u64 each).
struct ExpandScratch {
  explicit ExpandScratch(std::size_t n);
  std::vector<std::uint64_t> buf;
  std::size_t n;
  std::uint64_t* at(std::size_t i) { return buf.data() + i * n; }
};

// Computes the two children of one node. `in` holds c0 limb 0, c0 limb 1,
// c1 limb 0, c1 limb 1 (n residues each); so do `sum` and `diff` (diff may
// hold null pointers: that child is not needed). `sum` may equal `in`.
using ExpandNodeFn = void (*)(const ExpandTables& t, const ExpandLevel& lv,
                              const std::uint32_t* const in[4], std::uint32_t* const sum[4],
                              std::uint32_t* const diff[4], ExpandScratch& s);
void expand_node_scalar(const ExpandTables& t, const ExpandLevel& lv,
                        const std::uint32_t* const in[4], std::uint32_t* const sum[4],
                        std::uint32_t* const diff[4], ExpandScratch& s);
void expand_node_avx2(const ExpandTables& t, const ExpandLevel& lv,
                      const std::uint32_t* const in[4], std::uint32_t* const sum[4],
                      std::uint32_t* const diff[4], ExpandScratch& s);

// Writes the n residues of b and of a (n a multiple of 8) times 2^32 mod q,
// fully reduced, as n/8 lines of 16 words (8 of b, then 8 of a) `stride`
// words apart: the kernel layout (layout.h) of one (dimension, prime).
using WriteTilesFn = void (*)(const std::uint32_t* b, const std::uint32_t* a, std::uint32_t* dst,
                              std::size_t stride, std::size_t n, std::uint32_t q, std::uint32_t w,
                              std::uint32_t ws);
void write_tiles_scalar(const std::uint32_t* b, const std::uint32_t* a, std::uint32_t* dst,
                        std::size_t stride, std::size_t n, std::uint32_t q, std::uint32_t w,
                        std::uint32_t ws);
void write_tiles_avx2(const std::uint32_t* b, const std::uint32_t* a, std::uint32_t* dst,
                      std::size_t stride, std::size_t n, std::uint32_t q, std::uint32_t w,
                      std::uint32_t ws);

// Asks the kernel for transparent huge pages over [p, p + bytes) (the
// 2 MiB-aligned part): fewer page faults and TLB misses for the large,
// strided expansion buffers. A hint; failures are ignored.
void advise_huge_pages(void* p, std::size_t bytes);

class FastExpansion {
 public:
  // Throws rlwe::MismatchError when the parameters are not of this shape.
  // `node` picks the node kernel (tests); null: AVX2 when the CPU has it.
  // `ctx` must outlive this object (its NTT tables and Galois permutations
  // are used in place); the keys are copied into the tables.
  FastExpansion(const SearchConfig& config, const rlwe::Context& ctx, const rlwe::GaloisKeys& keys,
                ExpandNodeFn node = nullptr);

  // Output ciphertext j (< dimension) as four limbs (c0 l0, c0 l1, c1 l0,
  // c1 l1).
  struct Output {
    std::size_t j;
    const std::uint32_t* limbs[4];
  };
  // Receives the outputs (one per call today; the batch form leaves room to
  // group them); called from the worker threads, each j once in all.
  using Sink = std::function<void(const std::vector<Output>& batch)>;
  // Breadth-first levels run until there are this many subtrees per thread.
  static constexpr std::size_t kSubtreesPerThread = 4;
  // `root`: a fresh level-1 size-2 ciphertext in evaluation form.
  void run(const rlwe::Ciphertext& root, std::size_t threads, const Sink& sink) const;
  // The tile writer matching the node kernel (AVX2 or portable).
  WriteTilesFn write_tiles() const { return write_tiles_; }

 private:
  void build_p_tables();
  void expand_subtree(std::uint32_t* ct, std::size_t level, std::size_t slot, std::size_t top,
                      std::uint32_t* stack, ExpandScratch& scratch, const Sink& sink) const;

  std::size_t dimension_ = 0;
  ExpandTables t_;
  ExpandNodeFn node_ = nullptr;
  WriteTilesFn write_tiles_ = nullptr;
};

}  // namespace veil::search::detail
