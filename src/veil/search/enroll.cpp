#include "veil/search/enroll.h"

#include "veil/math/modarith.h"
#include "veil/ring/poly_ops.h"
#include "veil/ring/sampler.h"
#include "veil/rlwe/errors.h"
#include "veil/search/mask.h"
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
    : config_(config), ctx_(checked_context(config, std::move(ctx))) {
  rlwe::require_param_id(sk.param_id, ctx_->id(), "gallery encryptor secret key");
  if (config.gallery != Encryption::kSecretKey) {
    throw rlwe::MismatchError(
        "gallery encryptor: this search config was derived for public-key enrollment; its "
        "blocks keep `a` in full, a secret-key gallery keeps a seed: derive the config with "
        "gallery = secret-key");
  }
  secrets_ = std::make_shared<const GallerySecrets>(*ctx_, sk, config.dimension);
}

GalleryEncryptor::GalleryEncryptor(const SearchConfig& config, rlwe::ContextPtr ctx,
                                   GalleryPublicKey pk)
    : config_(config), ctx_(checked_context(config, std::move(ctx))), pk_(std::move(pk)) {
  rlwe::require_param_id(pk_->param_id, ctx_->id(), "gallery encryptor public key");
  if (config.gallery != Encryption::kPublicKey) {
    throw rlwe::MismatchError(
        "gallery encryptor: this search config was derived for secret-key enrollment; public-key "
        "ciphertexts are noisier and need a config derived with gallery = public-key");
  }
  if (pk_->count() < config.dimension) {
    throw rlwe::MismatchError("gallery encryptor: the gallery public key covers " +
                              std::to_string(pk_->count()) + " dimensions, the gallery has " +
                              std::to_string(config.dimension) +
                              " (make one with a larger --gallery-dimension)");
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
  Words block(config_.block_words(), 0);
  std::uint32_t* b_words = block.data() + config_.mask_words();

  // The shared mask `a`; for public-key galleries also v, the block's
  // encryption randomness: a = v A + e, b_j = v B_j + e_j + m_j.
  ring::RnsPoly a, v;
  if (secrets_) {
    write_seed_mask(ring::random_seed(), block.data());
    mask_from_region(config_, *ctx_, block.data(), a);
  } else {
    auto xof = ring::Xof::fresh();
    ring::sample_ternary(xof, basis, v);
    ring::to_eval(v, basis);
    ring::sample_gaussian(xof, basis, a);
    ring::to_eval(a, basis);
    for (std::size_t l = 0; l < kPrimes; ++l) {
      const math::Modulus& q = basis.modulus(l);
      for (std::size_t k = 0; k < n; ++k) {
        a.limb(l)[k] =
            math::add_mod(a.limb(l)[k], math::mul_mod(v.limb(l)[k], pk_->a.limb(l)[k], q), q);
        block[l * n + k] = static_cast<std::uint32_t>(a.limb(l)[k]);
      }
    }
  }

  parallel_for(d, threads, [&](std::size_t j, std::size_t) {
    // e_j + Delta_g G_j in coefficient form, then to evaluation form.
    auto xof = ring::Xof::fresh();
    ring::RnsPoly m;
    ring::sample_gaussian(xof, basis, m);
    for (std::size_t l = 0; l < kPrimes; ++l) {
      const math::Modulus& q = basis.modulus(l);
      const math::u64 delta = q.reduce(config_.gallery_delta);
      math::u64* ml = m.limb(l);
      for (std::size_t k = 0; k < count; ++k) {
        const math::u64 x = math::signed_to_mod_ct(rows.values[(first + k) * d + j], q.value());
        ml[k] = math::add_mod(ml[k], math::mul_mod(x, delta, q), q);
      }
    }
    ring::to_eval(m, basis);
    for (std::size_t l = 0; l < kPrimes; ++l) {
      const math::Modulus& q = basis.modulus(l);
      const math::u64* ml = m.limb(l);
      const math::u64* al = a.limb(l);
      for (std::size_t k = 0; k < n; ++k) {
        // Secret key: b = m + e - a s_j. Public key: b = m + e + v B_j.
        const math::u64 c = secrets_ ? q.value() - math::mul_mod(al[k], secrets_->get(j, l)[k], q)
                                     : math::mul_mod(v.limb(l)[k], pk_->b[j].limb(l)[k], q);
        const math::u64 r = math::add_mod(ml[k], c == q.value() ? 0 : c, q);
        b_words[gallery_word(d, k, l, j)] = static_cast<std::uint32_t>(r);
      }
    }
    m.secure_zero();
  });
  v.secure_zero();
  return block;
}

}  // namespace veil::search
