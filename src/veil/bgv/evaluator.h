// BGV evaluation: the shared rlwe operations plus modulus switching,
// batched rotations and plaintext-constant products.
#pragma once

#include <vector>

#include "veil/rlwe/evaluator.h"

namespace veil::bgv {

class Evaluator {
 public:
  explicit Evaluator(rlwe::ContextPtr ctx);
  const rlwe::Evaluator& core() const { return core_; }

  using Ct = rlwe::Ciphertext;
  using Pt = rlwe::Plaintext;
  void add(const Ct& a, const Ct& b, Ct& out) const { core_.add(a, b, out); }
  void sub(const Ct& a, const Ct& b, Ct& out) const { core_.sub(a, b, out); }
  void negate(const Ct& a, Ct& out) const { core_.negate(a, out); }
  void add_plain(const Ct& a, const Pt& p, Ct& out) const { core_.add_plain(a, p, out); }
  void sub_plain(const Ct& a, const Pt& p, Ct& out) const { core_.sub_plain(a, p, out); }
  void multiply_plain(const Ct& a, const Pt& p, Ct& out) const { core_.multiply_plain(a, p, out); }
  void multiply(const Ct& a, const Ct& b, Ct& out) const { core_.multiply(a, b, out); }
  void relinearize(const Ct& a, const rlwe::RelinKey& rk, Ct& out) const {
    core_.relinearize(a, rk, out);
  }
  // Multiplies every slot (or coefficient) by c mod t.
  void multiply_const(const Ct& a, std::uint64_t c, Ct& out) const;

  // One level down: divides by the last prime, shrinking the noise with it.
  void mod_switch(const Ct& a, Ct& out) const { core_.divide_by_last_prime(a, out); }
  void mod_switch_to(const Ct& a, std::size_t level, Ct& out) const;

  // Batched slots: rotate both rows left by `steps` columns (negative: right).
  void rotate_columns(const Ct& a, int steps, const rlwe::GaloisKeys& gk, Ct& out) const;
  void swap_rows(const Ct& a, const rlwe::GaloisKeys& gk, Ct& out) const;
  // Galois elements to generate keys for these rotations (and the row swap).
  std::vector<std::uint64_t> galois_elts(const std::vector<int>& column_steps, bool row_swap) const;

 private:
  rlwe::ContextPtr ctx_;
  rlwe::Evaluator core_;
};

// Bits of noise budget left: log2(Q_level / 2) - log2(max |c_0 + c_1 s + ...|),
// measured with the secret key (for tests, docs and parameter tuning). The
// ciphertext decrypts correctly while this is positive.
double noise_budget_bits(const rlwe::ContextPtr& ctx, const rlwe::SecretKey& sk,
                         const rlwe::Ciphertext& ct);

}  // namespace veil::bgv
