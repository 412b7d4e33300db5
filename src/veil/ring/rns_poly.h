// Polynomials of Z_Q[X]/(X^N + 1) in RNS form: one limb of N residues per prime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "veil/math/modarith.h"
#include "veil/math/ntt.h"

namespace veil::ring {

using math::u64;

// Allocator for polynomial storage: 64-byte aligned (whole cache lines, AVX2
// friendly) and default-initialising, so buffers that are about to be
// overwritten are not zero-filled first.
template <typename T>
struct PolyAllocator {
  using value_type = T;
  PolyAllocator() = default;
  template <typename U>
  PolyAllocator(const PolyAllocator<U>&) {}
  T* allocate(std::size_t n) {
    std::size_t bytes = (n * sizeof(T) + 63) & ~std::size_t{63};
    void* p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) { std::free(p); }
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // default-init: no zeroing
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <typename U>
  bool operator==(const PolyAllocator<U>&) const {
    return true;
  }
};

// Coefficient form or evaluation (NTT) form; products are pointwise in the latter.
enum class Form : std::uint8_t { kCoeff = 0, kEval = 1 };

// One prime of a basis with everything precomputed for it.
struct PrimeData {
  math::Modulus modulus;
  math::NttTables ntt;
  PrimeData(std::size_t n, u64 q) : modulus(q), ntt(n, modulus) {}
};

// An ordered list of primes (a view into a context's PrimeData).
class RnsBasis {
 public:
  RnsBasis() = default;
  explicit RnsBasis(std::vector<const PrimeData*> primes);
  std::size_t size() const { return primes_.size(); }
  std::size_t n() const { return primes_.empty() ? 0 : primes_[0]->ntt.size(); }
  const PrimeData& operator[](std::size_t i) const { return *primes_[i]; }
  const math::Modulus& modulus(std::size_t i) const { return primes_[i]->modulus; }
  const math::NttTables& ntt(std::size_t i) const { return primes_[i]->ntt; }
  // The first `k` primes.
  RnsBasis prefix(std::size_t k) const;
  // This basis with another prime appended (e.g. Q_l followed by the special prime P).
  RnsBasis with(const PrimeData* extra) const;

 private:
  std::vector<const PrimeData*> primes_;
};

// Raw storage of a polynomial with `limbs` limbs of `n` coefficients, limb-major.
// Which primes the limbs belong to is given by the basis passed to each operation.
class RnsPoly {
 public:
  RnsPoly() = default;
  // Zero-filled.
  RnsPoly(std::size_t n, std::size_t limbs, Form form)
      : n_(n), limbs_(limbs), form_(form), data_(n * limbs, 0) {}
  // Contents unspecified: for outputs that are about to be written in full.
  static RnsPoly uninitialized(std::size_t n, std::size_t limbs, Form form) {
    RnsPoly p;
    p.n_ = n;
    p.limbs_ = limbs;
    p.form_ = form;
    p.data_.resize(n * limbs);
    return p;
  }

  std::size_t n() const { return n_; }
  std::size_t limbs() const { return limbs_; }
  Form form() const { return form_; }
  void set_form(Form f) { form_ = f; }
  bool empty() const { return data_.empty(); }

  u64* limb(std::size_t i) { return data_.data() + i * n_; }
  const u64* limb(std::size_t i) const { return data_.data() + i * n_; }
  u64* data() { return data_.data(); }
  const u64* data() const { return data_.data(); }
  std::size_t word_count() const { return data_.size(); }

  // Keeps the first k limbs.
  void drop_to(std::size_t k);
  // Overwrites the storage with zeros in a way the optimizer cannot remove.
  void secure_zero();

  bool operator==(const RnsPoly& o) const {
    return n_ == o.n_ && limbs_ == o.limbs_ && form_ == o.form_ && data_ == o.data_;
  }

 private:
  std::size_t n_ = 0, limbs_ = 0;
  Form form_ = Form::kCoeff;
  std::vector<u64, PolyAllocator<u64>> data_;
};

}  // namespace veil::ring
