#include "veil/ring/rns_poly.h"

#include <sodium.h>

namespace veil::ring {

RnsBasis::RnsBasis(std::vector<const PrimeData*> primes) : primes_(std::move(primes)) {
  for (const auto* p : primes_) {
    if (p->ntt.size() != primes_[0]->ntt.size()) {
      throw std::invalid_argument("RnsBasis: primes prepared for different ring degrees");
    }
  }
}

RnsBasis RnsBasis::prefix(std::size_t k) const {
  if (k > primes_.size()) {
    throw std::out_of_range("RnsBasis::prefix: asked for " + std::to_string(k) + " primes of " +
                            std::to_string(primes_.size()));
  }
  return RnsBasis(std::vector<const PrimeData*>(primes_.begin(), primes_.begin() + k));
}

RnsBasis RnsBasis::with(const PrimeData* extra) const {
  auto v = primes_;
  v.push_back(extra);
  return RnsBasis(std::move(v));
}

void RnsPoly::drop_to(std::size_t k) {
  if (k > limbs_) {
    throw std::out_of_range("RnsPoly::drop_to: " + std::to_string(k) + " > " +
                            std::to_string(limbs_) + " limbs");
  }
  if (k < limbs_) sodium_memzero(data_.data() + k * n_, (limbs_ - k) * n_ * sizeof(u64));
  limbs_ = k;
  data_.resize(k * n_);
}

void RnsPoly::secure_zero() {
  if (!data_.empty()) sodium_memzero(data_.data(), data_.size() * sizeof(u64));
}

}  // namespace veil::ring
