#include "veil/rlwe/context.h"

#include "veil/math/galois.h"
#include "veil/rlwe/errors.h"

namespace veil::rlwe {

std::shared_ptr<const Context> Context::create(std::shared_ptr<const Parameters> params) {
  if (!params) throw ParameterError("Context: null parameters");
  return std::shared_ptr<const Context>(new Context(std::move(params)));
}

Context::Context(std::shared_ptr<const Parameters> params) : params_(std::move(params)) {
  const std::size_t n = params_->n();
  for (auto q : params_->q()) primes_.push_back(std::make_unique<ring::PrimeData>(n, q));
  primes_.push_back(std::make_unique<ring::PrimeData>(n, params_->p()));
  std::vector<const ring::PrimeData*> qs;
  for (std::size_t l = 0; l <= params_->max_level(); ++l) {
    qs.push_back(primes_[l].get());
    basis_q_.emplace_back(qs);
    basis_qp_.push_back(basis_q_.back().with(primes_.back().get()));
    crt_.push_back(std::make_unique<ring::CrtComposer>(basis_q_.back()));
  }
  if (params_->scheme() == Scheme::kBgv) t_ = math::Modulus(params_->t());
}

const std::vector<std::uint32_t>& Context::galois_permutation(std::uint64_t galois_elt) const {
  std::lock_guard<std::mutex> lock(galois_mutex_);
  auto it = galois_.find(galois_elt);
  if (it == galois_.end()) {
    auto perm =
        std::make_unique<std::vector<std::uint32_t>>(math::galois_ntt_permutation(n(), galois_elt));
    it = galois_.emplace(galois_elt, std::move(perm)).first;
  }
  return *it->second;
}

ContextPtr require_scheme(ContextPtr ctx, Scheme scheme, const char* who) {
  if (!ctx) throw MismatchError(std::string(who) + ": null context");
  if (ctx->scheme() != scheme) {
    throw MismatchError(std::string(who) + ": the context is for " + to_string(ctx->scheme()) +
                        ", expected " + to_string(scheme));
  }
  return ctx;
}

void Context::require_level(std::size_t level, const char* what) const {
  if (level > max_level()) {
    throw MismatchError(std::string(what) + ": level " + std::to_string(level) +
                        " is above the top level " + std::to_string(max_level()));
  }
}

}  // namespace veil::rlwe
