#include "veil/search/enroll.h"

#include "veil/math/modarith.h"
#include "veil/ring/poly_ops.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/errors.h"
#include "veil/search/parallel.h"

namespace veil::search {

rlwe::ContextPtr make_context(const SearchConfig& config) {
  return rlwe::Context::create(config.parameter_literal());
}

namespace {
rlwe::ContextPtr checked_context(const SearchConfig& config, rlwe::ContextPtr ctx) {
  if (!ctx) throw rlwe::MismatchError("gallery encryptor: null context");
  if (ctx->params().q() != config.q || ctx->params().p() != config.special_prime ||
      ctx->n() != config.n) {
    throw rlwe::MismatchError("gallery encryptor: context does not match the search config");
  }
  return ctx;
}
}  // namespace

GalleryEncryptor::GalleryEncryptor(const SearchConfig& config, rlwe::ContextPtr ctx,
                                   const rlwe::SecretKey& sk)
    : config_(config), ctx_(checked_context(config, std::move(ctx))), sk_(sk) {
  rlwe::require_param_id(sk.param_id, ctx_->id(), "gallery encryptor secret key");
}

GalleryEncryptor::GalleryEncryptor(const SearchConfig& config, rlwe::ContextPtr ctx,
                                   const rlwe::PublicKey& pk)
    : config_(config), ctx_(checked_context(config, std::move(ctx))), pk_(pk) {
  rlwe::require_param_id(pk.param_id, ctx_->id(), "gallery encryptor public key");
  if (config.gallery != Encryption::kPublicKey) {
    throw rlwe::MismatchError(
        "gallery encryptor: this search config was derived for secret-key enrollment; public-key "
        "ciphertexts are noisier and need a config derived with gallery = public-key");
  }
}

void GalleryEncryptor::check(const QuantizedRows& rows, std::size_t first,
                             std::size_t count) const {
  if (rows.dimension != config_.dimension) {
    throw InputError("enroll: templates have dimension " + std::to_string(rows.dimension) +
                     ", the gallery expects " + std::to_string(config_.dimension));
  }
  if (count == 0 || count > config_.n || first > rows.rows || count > rows.rows - first) {
    throw InputError("enroll: block of " + std::to_string(count) + " rows from row " +
                     std::to_string(first) + " is out of range (" + std::to_string(rows.rows) +
                     " rows, at most " + std::to_string(config_.n) + " per block)");
  }
  for (std::size_t i = 0; i < count; ++i) {
    for (std::int16_t v : rows.row(first + i)) {
      if (v > static_cast<int>(config_.quant_scale) || v < -static_cast<int>(config_.quant_scale)) {
        throw InputError("enroll: row " + std::to_string(first + i) +
                         " is not quantised at this gallery's scale " +
                         std::to_string(config_.quant_scale));
      }
    }
  }
}

Words GalleryEncryptor::encrypt_block(const QuantizedRows& rows, std::size_t first,
                                      std::size_t count, std::size_t threads) const {
  check(rows, first, count);
  const std::size_t n = config_.n, d = config_.dimension;
  const auto& basis = ctx_->basis_q(1);
  Words block(config_.block_words());
  rlwe::Encryptor enc = sk_ ? rlwe::Encryptor(ctx_, *sk_) : rlwe::Encryptor(ctx_, *pk_);
  parallel_for(d, threads, [&](std::size_t j, std::size_t) {
    rlwe::Plaintext pt;
    pt.param_id = ctx_->id();
    pt.level = 1;
    pt.poly = ring::RnsPoly(n, kPrimes, ring::Form::kCoeff);
    for (std::size_t l = 0; l < kPrimes; ++l) {
      const math::Modulus& q = basis.modulus(l);
      const math::u64 delta = q.reduce(config_.gallery_delta);
      math::u64* m = pt.poly.limb(l);
      for (std::size_t k = 0; k < count; ++k) {
        const math::u64 v = math::signed_to_mod_ct(rows.values[(first + k) * d + j], q.value());
        m[k] = math::mul_mod(v, delta, q);
      }
    }
    ring::to_eval(pt.poly, basis);
    rlwe::Ciphertext ct = enc.encrypt(pt);
    for (std::size_t p = 0; p < 2; ++p) {
      for (std::size_t l = 0; l < kPrimes; ++l) {
        const math::u64* c = ct.polys[p].limb(l);
        for (std::size_t k = 0; k < n; ++k) {
          block[word_index(d, k, l, j, p)] = static_cast<std::uint32_t>(c[k]);
        }
      }
    }
  });
  return block;
}

}  // namespace veil::search
