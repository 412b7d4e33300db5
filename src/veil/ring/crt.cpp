#include "veil/ring/crt.h"

#include <cmath>

namespace veil::ring {

using math::u128;
using math::u64;

namespace {
// a (k words) *= w, returns the carry word.
u64 mul_words(std::vector<u64>& a, u64 w) {
  u64 carry = 0;
  for (auto& x : a) {
    u128 p = static_cast<u128>(x) * w + carry;
    x = static_cast<u64>(p);
    carry = static_cast<u64>(p >> 64);
  }
  return carry;
}
// acc += a * w over acc.size() words (acc must be wide enough).
void mul_add_words(std::vector<u64>& acc, const std::vector<u64>& a, u64 w) {
  u64 carry = 0;
  std::size_t i = 0;
  for (; i < a.size(); ++i) {
    u128 p = static_cast<u128>(a[i]) * w + acc[i] + carry;
    acc[i] = static_cast<u64>(p);
    carry = static_cast<u64>(p >> 64);
  }
  for (; carry && i < acc.size(); ++i) {
    u128 s = static_cast<u128>(acc[i]) + carry;
    acc[i] = static_cast<u64>(s);
    carry = static_cast<u64>(s >> 64);
  }
}
// Compares a and b of equal width.
int cmp_words(const std::vector<u64>& a, const std::vector<u64>& b) {
  for (std::size_t i = a.size(); i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}
// a -= b (a >= b, equal width).
void sub_words(std::vector<u64>& a, const std::vector<u64>& b) {
  u64 borrow = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    u128 d = static_cast<u128>(a[i]) - b[i] - borrow;
    a[i] = static_cast<u64>(d);
    borrow = static_cast<u64>(d >> 64) & 1;
  }
}
}  // namespace

CrtComposer::CrtComposer(const RnsBasis& basis) {
  const std::size_t k = basis.size();
  if (k == 0) throw std::invalid_argument("CrtComposer: empty basis");
  for (std::size_t i = 0; i < k; ++i) moduli_.push_back(basis.modulus(i));
  // Q as k words (+1 spare while building).
  q_words_.assign(k + 1, 0);
  q_words_[0] = 1;
  for (auto& m : moduli_) mul_words(q_words_, m.value());
  q_words_.resize(k);
  half_q_words_ = q_words_;
  for (std::size_t i = 0; i < k; ++i) {
    half_q_words_[i] = (q_words_[i] >> 1) | (i + 1 < k ? q_words_[i + 1] << 63 : 0);
  }
  for (std::size_t i = 0; i < k; ++i) {
    std::vector<u64> punct(k + 1, 0);
    punct[0] = 1;
    u64 rem = 1;  // (Q/q_i) mod q_i
    for (std::size_t j = 0; j < k; ++j) {
      if (j == i) continue;
      mul_words(punct, moduli_[j].value());
      rem = math::mul_mod(rem, moduli_[i].reduce(moduli_[j].value()), moduli_[i]);
    }
    punct.resize(k + 1);
    punctured_.push_back(punct);
    punctured_inv_.emplace_back(math::inv_mod(rem, moduli_[i]), moduli_[i]);
  }
  q_words_.push_back(0);  // width k+1 to compare against accumulators
  half_q_words_.push_back(0);
}

void CrtComposer::compose(const RnsPoly& p, std::size_t j, std::vector<u64>& acc,
                          bool& negative) const {
  const std::size_t k = moduli_.size();
  acc.assign(k + 1, 0);
  for (std::size_t i = 0; i < k; ++i) {
    u64 y = math::mul_shoup(p.limb(i)[j], punctured_inv_[i], moduli_[i]);
    mul_add_words(acc, punctured_[i], y);
  }
  // acc < k * Q: subtract Q until reduced.
  while (cmp_words(acc, q_words_) >= 0) sub_words(acc, q_words_);
  negative = cmp_words(acc, half_q_words_) > 0;
  if (negative) {
    std::vector<u64> t = q_words_;
    sub_words(t, acc);
    acc.swap(t);
  }
}

void CrtComposer::to_centered_long_double(const RnsPoly& p, long double* out) const {
  if (p.limbs() != moduli_.size()) {
    throw std::invalid_argument("CrtComposer: polynomial has " + std::to_string(p.limbs()) +
                                " limbs, expected " + std::to_string(moduli_.size()));
  }
  if (p.form() != Form::kCoeff) throw std::invalid_argument("CrtComposer: needs coefficient form");
  std::vector<u64> mag;
  for (std::size_t j = 0; j < p.n(); ++j) {
    if (moduli_.size() == 1) {
      u64 q = moduli_[0].value(), x = p.limb(0)[j];
      out[j] = x > q / 2 ? -static_cast<long double>(q - x) : static_cast<long double>(x);
      continue;
    }
    bool neg;
    compose(p, j, mag, neg);
    long double v = 0;
    for (std::size_t w = mag.size(); w-- > 0;) v = v * 18446744073709551616.0L + mag[w];
    out[j] = neg ? -v : v;
  }
}

void CrtComposer::to_centered_mod(const RnsPoly& p, const math::Modulus& t, u64* out) const {
  if (p.limbs() != moduli_.size()) {
    throw std::invalid_argument("CrtComposer: polynomial has " + std::to_string(p.limbs()) +
                                " limbs, expected " + std::to_string(moduli_.size()));
  }
  if (p.form() != Form::kCoeff) throw std::invalid_argument("CrtComposer: needs coefficient form");
  const u64 base = math::mul_mod(1ull << 32, 1ull << 32, t);  // 2^64 mod t
  std::vector<u64> mag;
  for (std::size_t j = 0; j < p.n(); ++j) {
    bool neg;
    if (moduli_.size() == 1) {
      u64 q = moduli_[0].value(), x = p.limb(0)[j];
      neg = x > q / 2;
      u64 r = t.reduce(neg ? q - x : x);
      out[j] = neg ? math::neg_mod(r, t) : r;
      continue;
    }
    compose(p, j, mag, neg);
    u64 r = 0;
    for (std::size_t w = mag.size(); w-- > 0;) {
      r = math::add_mod(math::mul_mod(r, base, t), t.reduce(mag[w]), t);
    }
    out[j] = neg ? math::neg_mod(r, t) : r;
  }
}

}  // namespace veil::ring
