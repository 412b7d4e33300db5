#include "veil/search/probe.h"

#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/io/serialize.h"
#include "veil/math/modarith.h"
#include "veil/ring/poly_ops.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/evaluator.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/enroll.h"
#include "veil/search/expand_fast.h"
#include "veil/search/parallel.h"
#include "veil/search/quantize.h"

namespace veil::search {

namespace {
// 2: the key id after the config id; 3: a count of ciphertext envelopes
// (1: compact, d: pre-expanded) before them.
constexpr std::uint32_t kProbeVersion = 3;

void check_context(const SearchConfig& config, const rlwe::ContextPtr& ctx, const char* who) {
  if (!ctx) throw rlwe::MismatchError(std::string(who) + ": null context");
  if (ctx->params().q() != config.q || ctx->params().p() != config.special_prime) {
    throw rlwe::MismatchError(std::string(who) + ": context does not match the search config");
  }
}
}  // namespace

ProbeEncryptor::ProbeEncryptor(const SearchConfig& config, rlwe::ContextPtr ctx,
                               const rlwe::SecretKey& sk, const io::KeyId& key_id)
    : config_(config), ctx_(std::move(ctx)), sk_(sk), key_id_(key_id) {
  check_context(config_, ctx_, "probe encryptor");
  rlwe::require_param_id(sk.param_id, ctx_->id(), "probe encryptor secret key");
}

ProbeEncryptor::ProbeEncryptor(const SearchConfig& config, rlwe::ContextPtr ctx,
                               const rlwe::PublicKey& pk, const io::KeyId& key_id)
    : config_(config), ctx_(std::move(ctx)), pk_(pk), key_id_(key_id) {
  check_context(config_, ctx_, "probe encryptor");
  rlwe::require_param_id(pk.param_id, ctx_->id(), "probe encryptor public key");
  if (config.probe != Encryption::kPublicKey) {
    throw rlwe::MismatchError(
        "probe encryptor: this search config was derived for secret-key probes; public-key "
        "probes need a config derived with probe = public-key");
  }
}

EncryptedProbe ProbeEncryptor::encrypt(std::span<const std::int16_t> probe) const {
  if (probe.size() != config_.dimension) {
    throw InputError("probe has dimension " + std::to_string(probe.size()) +
                     ", the gallery expects " + std::to_string(config_.dimension));
  }
  return encrypt_values(probe);
}

EncryptedProbe ProbeEncryptor::encrypt_grouped(std::span<const std::int16_t> values) const {
  if (values.empty() || values.size() % config_.dimension != 0 || values.size() > config_.n) {
    throw InputError("grouped probe has " + std::to_string(values.size()) +
                     " values: it needs a positive multiple of " +
                     std::to_string(config_.dimension) + ", at most " + std::to_string(config_.n));
  }
  return encrypt_values(values);
}

EncryptedProbe ProbeEncryptor::encrypt_expanded(std::span<const std::int16_t> values,
                                                std::size_t threads) const {
  const std::size_t d = config_.dimension, n = config_.n;
  if (values.empty() || values.size() % d != 0 || values.size() > n) {
    throw InputError("probe has " + std::to_string(values.size()) +
                     " values: it needs a positive multiple of " + std::to_string(d) +
                     ", at most " + std::to_string(n));
  }
  if (!sk_) {
    throw rlwe::MismatchError(
        "pre-expanded probes are made with the secret key (seed-compressed); this encryptor "
        "holds a public key");
  }
  check_quantised(values);
  const auto& basis = ctx_->basis_q(1);
  EncryptedProbe out;
  out.key_id = key_id_;
  out.expanded.resize(d);
  const rlwe::Encryptor enc(ctx_, *sk_);
  parallel_for(d, threads ? threads : 1, [&](std::size_t r, std::size_t) {
    rlwe::Plaintext pt;
    pt.param_id = ctx_->id();
    pt.level = 1;
    pt.poly = ring::RnsPoly(n, kPrimes, ring::Form::kCoeff);
    for (std::size_t l = 0; l < kPrimes; ++l) {
      const math::Modulus& q = basis.modulus(l);
      const math::u64 delta = q.reduce(config_.probe_delta);
      math::u64* m = pt.poly.limb(l);
      for (std::size_t i = r; i < values.size(); i += d) {
        m[i - r] = math::mul_mod(math::signed_to_mod_ct(values[i], q.value()), delta, q);
      }
    }
    // Coefficient form: the encryptor adds it to the noise before the transform.
    out.expanded[r] = enc.encrypt_seeded(pt);
    pt.poly.secure_zero();
  });
  return out;
}

void ProbeEncryptor::check_quantised(std::span<const std::int16_t> probe) const {
  for (std::int16_t v : probe) {
    if (v > static_cast<int>(config_.quant_scale) || v < -static_cast<int>(config_.quant_scale)) {
      throw InputError("probe is not quantised at this gallery's scale " +
                       std::to_string(config_.quant_scale));
    }
  }
}

EncryptedProbe ProbeEncryptor::encrypt_values(std::span<const std::int16_t> probe) const {
  check_quantised(probe);
  const auto& basis = ctx_->basis_q(1);
  rlwe::Plaintext pt;
  pt.param_id = ctx_->id();
  pt.level = 1;
  pt.poly = ring::RnsPoly(config_.n, kPrimes, ring::Form::kCoeff);
  for (std::size_t l = 0; l < kPrimes; ++l) {
    const math::Modulus& q = basis.modulus(l);
    // Delta_q / 2^L mod q: the expansion multiplies every coefficient by 2^L.
    const math::u64 two_l = math::pow_mod(2, config_.expansion_levels, q);
    const math::u64 factor =
        math::mul_mod(q.reduce(config_.probe_delta), math::inv_mod(two_l, q), q);
    math::u64* m = pt.poly.limb(l);
    for (std::size_t j = 0; j < probe.size(); ++j) {
      m[j] = math::mul_mod(math::signed_to_mod_ct(probe[j], q.value()), factor, q);
    }
  }
  ring::to_eval(pt.poly, basis);
  EncryptedProbe out;
  out.key_id = key_id_;
  if (sk_) {
    out.seeded = rlwe::Encryptor(ctx_, *sk_).encrypt_seeded(pt);
  } else {
    out.full = rlwe::Encryptor(ctx_, *pk_).encrypt(pt);
  }
  return out;
}

std::vector<std::uint8_t> save_probe(const SearchConfig& config, const rlwe::Context& ctx,
                                     const EncryptedProbe& probe) {
  std::vector<std::vector<std::uint8_t>> inner;
  if (probe.seeded) {
    inner.push_back(io::save(ctx, *probe.seeded));
  } else if (probe.full) {
    inner.push_back(io::save(ctx, *probe.full));
  } else if (!probe.expanded.empty()) {
    for (const auto& c : probe.expanded) inner.push_back(io::save(ctx, c));
  } else {
    throw std::invalid_argument("save_probe: empty probe");
  }
  io::ByteWriter w;
  w.put_u32(kProbeVersion);
  w.put_u64(config.id());
  w.put_bytes(probe.key_id.bytes);
  w.put_u32(static_cast<std::uint32_t>(inner.size()));
  for (const auto& b : inner) {
    w.put_u64(b.size());
    w.put_bytes(b);
  }
  return io::seal_envelope(io::ObjectType::SearchQuery, ctx.id(), w.bytes());
}

EncryptedProbe load_probe(const SearchConfig& config, const rlwe::Context& ctx,
                          std::span<const std::uint8_t> bytes) {
  auto env =
      io::open_envelope(bytes, io::ObjectType::SearchQuery, std::nullopt, std::uint64_t{1} << 26);
  rlwe::require_param_id(env.param_id, ctx.id(), "probe");
  io::ByteReader r(env.payload);
  const auto version = r.get_u32("version");
  if (version != kProbeVersion)
    throw io::FormatError("probe: unsupported version " + std::to_string(version) + ", expected " +
                          std::to_string(kProbeVersion));
  const std::uint64_t config_id = r.get_u64("config id");
  if (config_id != config.id()) {
    throw rlwe::MismatchError("probe was made for another gallery configuration (config id " +
                              rlwe::hex_id(config_id) + ", this gallery " +
                              rlwe::hex_id(config.id()) +
                              "): different dimension, scale or encryption mode");
  }
  io::KeyId key_id;
  const auto key_bytes = r.get_bytes("key id", key_id.bytes.size());
  std::copy(key_bytes.begin(), key_bytes.end(), key_id.bytes.begin());
  const std::uint32_t count = r.get_u32("ciphertext count");
  if (count != 1 && count != config.dimension) {
    throw io::FormatError("probe: " + std::to_string(count) +
                          " ciphertexts; expected 1 (compact) or " +
                          std::to_string(config.dimension) + " (pre-expanded)");
  }
  EncryptedProbe p;
  p.key_id = key_id;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint64_t size = r.get_u64("ciphertext size");
    if (size < io::kEnvelopeHeaderSize || size > r.remaining()) {
      throw io::FormatError("probe: ciphertext " + std::to_string(i) + " claims " +
                            std::to_string(size) + " bytes, " + std::to_string(r.remaining()) +
                            " remain");
    }
    auto inner = r.get_bytes("ciphertext", static_cast<std::size_t>(size));
    const auto type = static_cast<io::ObjectType>(inner[io::kEnvelopeTypeOffset] |
                                                  (inner[io::kEnvelopeTypeOffset + 1] << 8));
    if (type == io::ObjectType::SeededCiphertext) {
      auto c = io::load_seeded_ciphertext(ctx, inner);
      if (c.level != 1) throw io::FormatError("probe: expected level-1 ciphertexts");
      if (count == 1) {
        p.seeded = std::move(c);
      } else {
        p.expanded.push_back(std::move(c));
      }
    } else if (type == io::ObjectType::Ciphertext && count == 1) {
      p.full = io::load_ciphertext(ctx, inner);
      if (p.full->level != 1 || p.full->size() != 2) {
        throw io::FormatError("probe: expected a fresh (size 2, level 1) ciphertext");
      }
    } else {
      throw io::FormatError(
          std::string("probe: expected ") +
          (count == 1 ? "a Ciphertext or SeededCiphertext" : "SeededCiphertexts (pre-expanded)") +
          ", got " + io::describe(type));
    }
  }
  if (r.remaining() != 0) {
    throw io::FormatError("probe: " + std::to_string(r.remaining()) + " trailing bytes");
  }
  return p;
}

rlwe::GaloisKeys make_expansion_keys(const SearchConfig& config, rlwe::ContextPtr ctx,
                                     const rlwe::SecretKey& sk) {
  check_context(config, ctx, "expansion keys");
  return rlwe::KeyGenerator(ctx).galois_keys(sk, config.galois_elements());
}

ProbeExpander::ProbeExpander(const SearchConfig& config, rlwe::ContextPtr ctx,
                             rlwe::GaloisKeys keys)
    : config_(config), ctx_(std::move(ctx)), keys_(std::move(keys)) {
  check_context(config_, ctx_, "probe expander");
  rlwe::require_param_id(keys_.param_id, ctx_->id(), "probe expander Galois keys");
  for (auto g : config_.galois_elements()) {
    if (!keys_.has(g)) {
      throw rlwe::MismatchError("probe expander: no Galois key for element " + std::to_string(g));
    }
  }
  const auto& basis = ctx_->basis_q(1);
  const std::size_t n = config_.n;
  for (std::size_t i = 0; i < config_.expansion_levels; ++i) {
    // X^(-k) = -X^(n-k) in Z[X]/(X^n + 1).
    const std::size_t k = std::size_t{1} << i;
    ring::RnsPoly m(n, kPrimes, ring::Form::kCoeff);
    for (std::size_t l = 0; l < kPrimes; ++l) m.limb(l)[n - k] = basis.modulus(l).value() - 1;
    ring::to_eval(m, basis);
    monomials_.push_back(std::move(m));
  }
  fast_ = std::make_shared<detail::FastExpansion>(config_, *ctx_, keys_);
}

rlwe::Ciphertext ProbeExpander::root(const EncryptedProbe& probe) const {
  rlwe::Ciphertext root;
  if (probe.seeded) {
    root = rlwe::expand_seeded(*ctx_, *probe.seeded);
  } else if (probe.full) {
    root = *probe.full;
  } else {
    throw std::invalid_argument("expand: empty probe");
  }
  rlwe::require_param_id(root.param_id, ctx_->id(), "probe");
  if (root.level != 1 || root.size() != 2) {
    throw rlwe::MismatchError("expand: expected a fresh level-1 ciphertext");
  }
  const auto& basis = ctx_->basis_q(1);
  for (const auto& p : root.polys) {
    ring::require_shape(p, basis, "expand");
    if (p.form() != ring::Form::kEval)
      throw rlwe::MismatchError("expand: probe must be in evaluation form");
  }
  return root;
}

void ProbeExpander::check_pre_expanded(const EncryptedProbe& probe) const {
  if (probe.expanded.size() != config_.dimension || probe.seeded || probe.full) {
    throw rlwe::MismatchError(
        "expand: a pre-expanded probe has " + std::to_string(config_.dimension) +
        " ciphertexts and nothing else, " + "this one " + std::to_string(probe.expanded.size()));
  }
  const auto& basis = ctx_->basis_q(1);
  for (const rlwe::SeededCiphertext& sc : probe.expanded) {
    rlwe::require_param_id(sc.param_id, ctx_->id(), "probe");
    if (sc.level != 1) throw rlwe::MismatchError("expand: expected level-1 ciphertexts");
    ring::require_shape(sc.c0, basis, "expand");
    if (sc.c0.form() != ring::Form::kEval)
      throw rlwe::MismatchError("expand: probe must be in evaluation form");
  }
}

std::vector<rlwe::Ciphertext> ProbeExpander::pre_expanded(const EncryptedProbe& probe,
                                                          std::size_t threads) const {
  check_pre_expanded(probe);
  std::vector<rlwe::Ciphertext> cts(config_.dimension);
  parallel_for(cts.size(), threads ? threads : 1, [&](std::size_t j, std::size_t) {
    cts[j] = rlwe::expand_seeded(*ctx_, probe.expanded[j]);
  });
  return cts;
}

Words ProbeExpander::pre_expanded_words(const EncryptedProbe& probe, std::size_t threads) const {
  check_pre_expanded(probe);
  const std::size_t n = config_.n, d = config_.dimension;
  Words words(probe_words(n, d));
  parallel_for(d, threads ? threads : 1, [&](std::size_t j, std::size_t) {
    thread_local ring::RnsPoly a;
    rlwe::seeded_c1(*ctx_, probe.expanded[j], a);
    write_words(j, probe.expanded[j].c0, a, words);
  });
  return words;
}

void ProbeExpander::write_words(std::size_t j, const ring::RnsPoly& c0, const ring::RnsPoly& c1,
                                Words& words) const {
  const std::size_t n = config_.n, d = config_.dimension;
  const auto& basis = ctx_->basis_q(1);
  for (std::size_t l = 0; l < kPrimes; ++l) {
    // The kernel's Montgomery reduction divides by 2^32: multiply by it here.
    const math::Modulus& q = basis.modulus(l);
    const math::MulOperand r(q.reduce(std::uint64_t{1} << 32), q);
    for (std::size_t p = 0; p < 2; ++p) {
      const math::u64* c = (p == 0 ? c0 : c1).limb(l);
      std::uint32_t* out = words.data() + probe_word(d, 0, l, j, p);
      for (std::size_t k = 0; k < n; k += kTile) {
        for (std::size_t i = 0; i < kTile; ++i) {
          out[i] = static_cast<std::uint32_t>(math::mul_shoup(c[k + i], r, q));
        }
        out += probe_chunk_words(d) * kPrimes;
      }
    }
  }
}

std::vector<rlwe::Ciphertext> ProbeExpander::expand_ciphertexts(const EncryptedProbe& probe,
                                                                std::size_t threads) const {
  if (!probe.expanded.empty()) return pre_expanded(probe, threads);
  const rlwe::Ciphertext r = root(probe);
  const std::size_t n = config_.n;
  std::vector<rlwe::Ciphertext> cts(config_.dimension);
  fast_->run(r, threads, [&](const std::vector<detail::FastExpansion::Output>& batch) {
    for (const auto& o : batch) {
      rlwe::Ciphertext& c = cts[o.j];
      c.param_id = r.param_id;
      c.level = r.level;
      c.scale = r.scale;
      c.polys.resize(2);
      for (std::size_t p = 0; p < 2; ++p) {
        c.polys[p] = ring::RnsPoly::uninitialized(n, kPrimes, ring::Form::kEval);
        for (std::size_t l = 0; l < kPrimes; ++l) {
          std::copy(o.limbs[2 * p + l], o.limbs[2 * p + l] + n, c.polys[p].limb(l));
        }
      }
    }
  });
  return cts;
}

Words ProbeExpander::expand(const EncryptedProbe& probe, std::size_t threads) const {
  if (!probe.expanded.empty()) return pre_expanded_words(probe, threads);
  const rlwe::Ciphertext r = root(probe);
  const std::size_t n = config_.n, d = config_.dimension;
  Words words(probe_words(n, d));
  const auto& basis = ctx_->basis_q(1);
  std::uint32_t q[kPrimes], rw[kPrimes], rs[kPrimes];
  for (std::size_t l = 0; l < kPrimes; ++l) {
    // The kernel's Montgomery reduction divides by 2^32: multiply by it here.
    const math::Modulus& m = basis.modulus(l);
    const math::MulOperand op(m.reduce(std::uint64_t{1} << 32), m);
    q[l] = static_cast<std::uint32_t>(m.value());
    rw[l] = static_cast<std::uint32_t>(op.w);
    rs[l] = static_cast<std::uint32_t>((op.w << 32) / m.value());
  }
  detail::advise_huge_pages(words.data(), words.size() * sizeof(std::uint32_t));
  const detail::WriteTilesFn write = fast_->write_tiles();
  const std::size_t stride = probe_chunk_words(d) * kPrimes;  // one tile to the next
  fast_->run(r, threads, [&](const std::vector<detail::FastExpansion::Output>& batch) {
    for (const auto& o : batch) {
      for (std::size_t l = 0; l < kPrimes; ++l) {
        write(o.limbs[l], o.limbs[2 + l], words.data() + probe_word(d, 0, l, o.j, 0), stride, n,
              q[l], rw[l], rs[l]);
      }
    }
  });
  return words;
}

std::vector<rlwe::Ciphertext> ProbeExpander::expand_ciphertexts_generic(const EncryptedProbe& probe,
                                                                        std::size_t threads) const {
  if (!probe.expanded.empty()) return pre_expanded(probe, threads);
  const auto& basis = ctx_->basis_q(1);
  rlwe::Evaluator ev(ctx_);
  std::vector<rlwe::Ciphertext> cts{root(probe)};
  for (std::size_t i = 0; i < config_.expansion_levels; ++i) {
    const std::size_t half = cts.size();
    const std::uint64_t g = (config_.n >> i) + 1;
    std::vector<rlwe::Ciphertext> next(2 * half);
    parallel_for(half, threads, [&](std::size_t k, std::size_t) {
      rlwe::Ciphertext sc;
      ev.apply_galois(cts[k], g, keys_, sc);
      ev.add(cts[k], sc, next[k]);
      rlwe::Ciphertext diff;
      ev.sub(cts[k], sc, diff);
      for (auto& p : diff.polys) {
        ring::RnsPoly shifted;
        ring::multiply(p, monomials_[i], shifted, basis);
        p = std::move(shifted);
      }
      next[k + half] = std::move(diff);
    });
    cts = std::move(next);
  }
  cts.resize(config_.dimension);
  return cts;
}

Words ProbeExpander::expand_generic(const EncryptedProbe& probe, std::size_t threads) const {
  if (!probe.expanded.empty()) return to_words(pre_expanded(probe, threads), threads);
  return to_words(expand_ciphertexts_generic(probe, threads), threads);
}

Words ProbeExpander::to_words(const std::vector<rlwe::Ciphertext>& cts, std::size_t threads) const {
  Words words(probe_words(config_.n, config_.dimension));
  parallel_for(config_.dimension, threads, [&](std::size_t j, std::size_t) {
    write_words(j, cts[j].polys[0], cts[j].polys[1], words);
  });
  return words;
}

}  // namespace veil::search
