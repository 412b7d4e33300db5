// Shared helpers for ring tests: a small basis of NTT primes.
#pragma once

#include <memory>
#include <vector>

#include "veil/math/primes.h"
#include "veil/ring/rns_poly.h"

namespace veil::test {

struct TestBasis {
  std::vector<std::unique_ptr<ring::PrimeData>> primes;
  ring::RnsBasis basis;
  TestBasis(std::size_t n, std::vector<int> bits) {
    std::vector<const ring::PrimeData*> ptrs;
    std::vector<std::uint64_t> used;
    for (int b : bits) {
      auto q = math::generate_primes(b, 1, 2 * n, used)[0];
      used.push_back(q);
      primes.push_back(std::make_unique<ring::PrimeData>(n, q));
      ptrs.push_back(primes.back().get());
    }
    basis = ring::RnsBasis(ptrs);
  }
};

}  // namespace veil::test
