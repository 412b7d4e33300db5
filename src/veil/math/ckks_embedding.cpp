#include "veil/math/ckks_embedding.h"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>

#include "veil/math/bitops.h"

namespace veil::math {

namespace {

using cd = std::complex<double>;

// Plain complex product (std::complex's operator* adds NaN/Inf recovery
// branches and a library call unless fast-math style flags are set).
inline cd cmul(cd a, cd b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}
inline cd cmul_conj(cd a, cd b) {  // a * conj(b)
  return {a.real() * b.real() + a.imag() * b.imag(), a.imag() * b.real() - a.real() * b.imag()};
}

// exp(i*pi*num/den) for 0 <= num < 2*den, reduced to the first octant so that
// every entry is as accurate as cos/sin of a small argument can make it.
cd unit_root(std::size_t num, std::size_t den) {
  const std::size_t full = 2 * den;  // 2*den units make one full turn
  std::size_t k = num % full;
  // Reduce to k in [0, full/8] using symmetries of the unit circle.
  bool neg_im = false, neg_re = false, swap = false;
  if (k >= full / 2) {  // angle in [pi, 2pi): conjugate
    k = full - k;
    neg_im = true;
  }
  if (k > full / 4) {  // angle in (pi/2, pi]: reflect over the imaginary axis
    k = full / 2 - k;
    neg_re = true;
  }
  if (4 * k > full / 2) {  // angle in (pi/4, pi/2]: swap re and im
    k = full / 4 - k;
    swap = true;
  }
  const double theta = std::numbers::pi * static_cast<double>(k) / static_cast<double>(den);
  double re = std::cos(theta), im = std::sin(theta);
  if (swap) std::swap(re, im);
  if (neg_re) re = -re;
  if (neg_im) im = -im;
  return {re, im};
}

}  // namespace

CkksEmbedding::CkksEmbedding(std::size_t n) : n_(n), m_(n / 2) {
  if (!is_power_of_two(n) || n < 4 || n > (std::size_t{1} << 30)) {
    throw std::invalid_argument(
        "CkksEmbedding: ring degree must be a power of two in [4, 2^30], got " + std::to_string(n));
  }
  log_m_ = log2_exact(m_);
  twist_.resize(m_);
  for (std::size_t k = 0; k < m_; ++k) twist_[k] = unit_root(k, n_);  // exp(i*pi*k/N)
  roots_.resize(m_ / 2 > 0 ? m_ / 2 : 1);
  // w^k = exp(2*pi*i*k/M) = exp(i*pi*k/(M/2)); with M >= 2.
  for (std::size_t k = 0; k < roots_.size(); ++k) roots_[k] = unit_root(4 * k, n_);
  slot_to_fft_.resize(m_);
  slot_to_fft_brv_.resize(m_);
  const std::size_t mask = 2 * n_ - 1;
  std::size_t e = 1;  // 5^j mod 2N, always 1 mod 4
  for (std::size_t j = 0; j < m_; ++j) {
    slot_to_fft_[j] = e >> 2;
    slot_to_fft_brv_[j] = bit_reverse(e >> 2, log_m_);
    e = (e * 5) & mask;
  }
}

void CkksEmbedding::fft(cd* a, bool inverse) const {
  for (std::size_t len = 2; len <= m_; len <<= 1) {
    const std::size_t half = len / 2, stride = m_ / len;
    for (std::size_t i = 0; i < m_; i += len) {
      for (std::size_t j = 0; j < half; ++j) {
        const cd w = roots_[j * stride];
        const cd u = a[i + j];
        const cd v = inverse ? cmul_conj(a[i + j + half], w) : cmul(a[i + j + half], w);
        a[i + j] = u + v;
        a[i + j + half] = u - v;
      }
    }
  }
}

void CkksEmbedding::decode(const double* coeffs, cd* slots) const {
  std::vector<cd> work(m_);
  for (std::size_t k = 0; k < m_; ++k) {
    work[bit_reverse(k, log_m_)] = cmul(cd(coeffs[k], coeffs[k + m_]), twist_[k]);
  }
  fft(work.data(), /*inverse=*/false);
  for (std::size_t j = 0; j < m_; ++j) slots[j] = work[slot_to_fft_[j]];
}

void CkksEmbedding::encode(const cd* slots, double* coeffs) const {
  std::vector<cd> work(m_);
  for (std::size_t j = 0; j < m_; ++j) work[slot_to_fft_brv_[j]] = slots[j];
  fft(work.data(), /*inverse=*/true);
  const double scale = 1.0 / static_cast<double>(m_);
  for (std::size_t k = 0; k < m_; ++k) {
    const cd u = cmul_conj(work[k], twist_[k]);
    coeffs[k] = u.real() * scale;
    coeffs[k + m_] = u.imag() * scale;
  }
}

std::vector<cd> CkksEmbedding::decode(const std::vector<double>& coeffs) const {
  if (coeffs.size() != n_) {
    throw std::invalid_argument("CkksEmbedding::decode: expected " + std::to_string(n_) +
                                " coefficients, got " + std::to_string(coeffs.size()));
  }
  std::vector<cd> slots(m_);
  decode(coeffs.data(), slots.data());
  return slots;
}

std::vector<double> CkksEmbedding::encode(const std::vector<cd>& slots) const {
  if (slots.size() != m_) {
    throw std::invalid_argument("CkksEmbedding::encode: expected " + std::to_string(m_) +
                                " slots, got " + std::to_string(slots.size()));
  }
  std::vector<double> coeffs(n_);
  encode(slots.data(), coeffs.data());
  return coeffs;
}

}  // namespace veil::math
