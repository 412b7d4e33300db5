// Internal checks shared by the CKKS encoder and evaluator.
#pragma once

#include <string>

#include "veil/rlwe/context.h"
#include "veil/rlwe/errors.h"

namespace veil::ckks::detail {

// Returns ctx, or throws rlwe::MismatchError when it is null or not a CKKS context.
inline rlwe::ContextPtr require_ckks(rlwe::ContextPtr ctx, const char* who) {
  if (!ctx) throw rlwe::MismatchError(std::string(who) + ": null context");
  if (ctx->scheme() != rlwe::Scheme::kCkks) {
    throw rlwe::MismatchError(std::string(who) + ": the context is for " +
                              rlwe::to_string(ctx->scheme()) + ", expected CKKS");
  }
  return ctx;
}

}  // namespace veil::ckks::detail
