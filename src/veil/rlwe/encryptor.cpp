#include "veil/rlwe/encryptor.h"

#include "veil/ring/poly_ops.h"
#include "veil/ring/sampler.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/rlwe_sample.h"

namespace veil::rlwe {

using math::u64;
using ring::Form;
using ring::RnsPoly;

namespace {
// Domain of the stream that expands a seeded ciphertext's c_1.
constexpr std::uint64_t kSeededA = 0x53454544;  // "SEED"

void check_secret_key(const Context& ctx, const SecretKey& sk) {
  require_param_id(sk.param_id, ctx.id(), "secret key");
  ring::require_shape(sk.s, ctx.key_basis(), "secret key");
}
}  // namespace

Encryptor::Encryptor(ContextPtr ctx, const PublicKey& pk) : ctx_(std::move(ctx)), pk_(pk) {
  require_param_id(pk.param_id, ctx_->id(), "public key");
  ring::require_shape(pk.b, ctx_->basis_q(ctx_->max_level()), "public key");
  ring::require_shape(pk.a, ctx_->basis_q(ctx_->max_level()), "public key");
}

Encryptor::Encryptor(ContextPtr ctx, const SecretKey& sk) : ctx_(std::move(ctx)), sk_(sk) {
  check_secret_key(*ctx_, sk);
  const auto& basis = ctx_->basis_q(ctx_->max_level());
  const std::size_t n = basis.n();
  s_shoup_.resize(basis.size() * n);
  for (std::size_t l = 0; l < basis.size(); ++l) {
    const u64* sl = sk_->s.limb(l);
    for (std::size_t j = 0; j < n; ++j) {
      s_shoup_[l * n + j] = math::shoup_precompute(sl[j], basis.modulus(l).value());
    }
  }
}

Encryptor::~Encryptor() {
  volatile u64* p = s_shoup_.data();
  for (std::size_t i = 0; i < s_shoup_.size(); ++i) p[i] = 0;
}

void Encryptor::check(const Plaintext& pt) const {
  require_param_id(pt.param_id, ctx_->id(), "encrypt");
  ctx_->require_level(pt.level, "encrypt");
  ring::require_shape(pt.poly, ctx_->basis_q(pt.level), "encrypt plaintext");
}

RnsPoly Encryptor::noise_and_message(const Plaintext& pt, const ring::RnsBasis& basis) const {
  auto xof = ring::Xof::fresh();
  if (pt.poly.form() == Form::kEval) return sample_scaled_noise(*ctx_, xof, basis);
  RnsPoly e;
  ring::sample_gaussian(xof, basis, e);
  if (ctx_->noise_factor() != 1) {
    std::vector<u64> f(basis.size(), ctx_->noise_factor());
    ring::multiply_scalar(e, f, e, basis);
  }
  for (std::size_t l = 0; l < basis.size(); ++l) {
    const math::Modulus& q = basis.modulus(l);
    const u64* ml = pt.poly.limb(l);
    u64* el = e.limb(l);
    for (std::size_t j = 0; j < basis.n(); ++j) el[j] = math::add_mod(el[j], ml[j], q);
  }
  ring::to_eval(e, basis);
  return e;
}

void Encryptor::subtract_as(const ring::RnsBasis& basis, const RnsPoly& a, const Plaintext& pt,
                            RnsPoly& acc) const {
  const std::size_t n = basis.n();
  const bool add_m = pt.poly.form() == Form::kEval;
  for (std::size_t l = 0; l < basis.size(); ++l) {
    const math::Modulus& q = basis.modulus(l);
    const u64 qv = q.value();
    const u64 *sl = sk_->s.limb(l), *ss = s_shoup_.data() + l * n, *al = a.limb(l);
    const u64* ml = add_m ? pt.poly.limb(l) : nullptr;
    u64* z = acc.limb(l);
    for (std::size_t j = 0; j < n; ++j) {
      // a s mod q with s's Shoup factor (a < q): two multiplications, no division.
      u64 as = al[j] * sl[j] - math::mul_hi(al[j], ss[j]) * qv;
      as = as >= qv ? as - qv : as;
      const u64 base = ml ? math::add_mod(z[j], ml[j], q) : z[j];
      z[j] = math::sub_mod(base, as, q);
    }
  }
}

Ciphertext Encryptor::encrypt(const Plaintext& pt) const {
  check(pt);
  const auto& basis = ctx_->basis_q(pt.level);
  Ciphertext ct;
  ct.param_id = ctx_->id();
  ct.level = pt.level;
  ct.scale = pt.scale;
  ct.polys.resize(2);
  if (sk_) {
    // Secret key: c = (-a s + e + m, a) with a uniform.
    ct.polys[0] = noise_and_message(pt, basis);
    auto axof = ring::Xof::fresh();
    ring::sample_uniform(axof, basis, Form::kEval, ct.polys[1]);
    subtract_as(basis, ct.polys[1], pt, ct.polys[0]);
    return ct;
  }
  if (pt.poly.form() != Form::kEval) {
    Plaintext eval = pt;
    ring::to_eval(eval.poly, basis);
    return encrypt(eval);
  }
  auto xof = ring::Xof::fresh();
  if (pk_) {
    // c = (b u + e0 + m, a u + e1) with u ternary.
    // The public key's first limbs are read in place (it has the top level's
    // limbs; `basis` is a prefix), and each output is written in one pass.
    RnsPoly u;
    ring::sample_ternary(xof, basis, u);
    ring::to_eval(u, basis);
    ct.polys[0] = sample_scaled_noise(*ctx_, xof, basis);
    ct.polys[1] = sample_scaled_noise(*ctx_, xof, basis);
    const std::size_t n = basis.n();
    for (std::size_t l = 0; l < basis.size(); ++l) {
      const math::Modulus& q = basis.modulus(l);
      const u64 *ul = u.limb(l), *bl = pk_->b.limb(l), *al = pk_->a.limb(l), *ml = pt.poly.limb(l);
      u64 *z0 = ct.polys[0].limb(l), *z1 = ct.polys[1].limb(l);
      for (std::size_t j = 0; j < n; ++j) {
        // Operands are below 2^61: product plus two residues fits 128 bits.
        z0[j] = q.reduce128(static_cast<math::u128>(bl[j]) * ul[j] + z0[j] + ml[j]);
        z1[j] = q.reduce128(static_cast<math::u128>(al[j]) * ul[j] + z1[j]);
      }
    }
    u.secure_zero();
    return ct;
  }
  throw std::logic_error("encrypt: no key");
}

SeededCiphertext Encryptor::encrypt_seeded(const Plaintext& pt) const {
  if (!sk_) throw std::logic_error("encrypt_seeded: needs an Encryptor built with the secret key");
  check(pt);
  const auto& basis = ctx_->basis_q(pt.level);
  SeededCiphertext sct;
  sct.param_id = ctx_->id();
  sct.level = pt.level;
  sct.scale = pt.scale;
  sct.seed = ring::random_seed();
  thread_local RnsPoly a;
  {
    ring::Xof axof(sct.seed, kSeededA);
    ring::sample_uniform(axof, basis, Form::kEval, a);
  }
  sct.c0 = noise_and_message(pt, basis);
  subtract_as(basis, a, pt, sct.c0);
  return sct;
}

Ciphertext expand_seeded(const Context& ctx, const SeededCiphertext& sct) {
  require_param_id(sct.param_id, ctx.id(), "expand_seeded");
  ctx.require_level(sct.level, "expand_seeded");
  const auto& basis = ctx.basis_q(sct.level);
  ring::require_shape(sct.c0, basis, "seeded ciphertext");
  Ciphertext ct;
  ct.param_id = sct.param_id;
  ct.level = sct.level;
  ct.scale = sct.scale;
  ct.polys.resize(2);
  ct.polys[0] = sct.c0;
  seeded_c1(ctx, sct, ct.polys[1]);
  return ct;
}

void seeded_c1(const Context& ctx, const SeededCiphertext& sct, RnsPoly& out) {
  ring::Xof axof(sct.seed, kSeededA);
  ring::sample_uniform(axof, ctx.basis_q(sct.level), Form::kEval, out);
}

}  // namespace veil::rlwe
