#include "veil/rlwe/keygen.h"

#include "veil/math/galois.h"
#include "veil/ring/poly_ops.h"
#include "veil/ring/sampler.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/rlwe_sample.h"

namespace veil::rlwe {

using math::u64;
using ring::Form;
using ring::RnsPoly;

void KeyGenerator::check(const SecretKey& sk) const {
  require_param_id(sk.param_id, ctx_->id(), "key generation");
  ring::require_shape(sk.s, ctx_->key_basis(), "secret key");
}

SecretKey KeyGenerator::secret_key() const {
  SecretKey sk;
  sk.param_id = ctx_->id();
  auto xof = ring::Xof::fresh();
  ring::sample_ternary(xof, ctx_->key_basis(), sk.s);
  ring::to_eval(sk.s, ctx_->key_basis());
  return sk;
}

namespace {
// (b, a) = (-a s + e * noise_factor, a) over `basis` (a prefix of the key basis).
void encrypt_zero_sk(const Context& ctx, const RnsPoly& s, const ring::RnsBasis& basis,
                     ring::Xof& xof, RnsPoly& b, RnsPoly& a) {
  ring::sample_uniform(xof, basis, Form::kEval, a);
  b = sample_scaled_noise(ctx, xof, basis);
  add_minus_as(basis, s, a, nullptr, b);
}
}  // namespace

PublicKey KeyGenerator::public_key(const SecretKey& sk) const {
  check(sk);
  PublicKey pk;
  pk.param_id = ctx_->id();
  auto xof = ring::Xof::fresh();
  encrypt_zero_sk(*ctx_, sk.s, ctx_->basis_q(ctx_->max_level()), xof, pk.b, pk.a);
  return pk;
}

KeySwitchKey KeyGenerator::switch_key(const RnsPoly& from, const SecretKey& sk) const {
  check(sk);
  const auto& basis = ctx_->key_basis();
  ring::require_shape(from, basis, "switch_key source");
  const std::size_t parts = ctx_->max_level() + 1;
  const u64 p = ctx_->params().p();
  KeySwitchKey k;
  k.param_id = ctx_->id();
  k.b.resize(parts);
  k.a.resize(parts);
  auto xof = ring::Xof::fresh();
  for (std::size_t i = 0; i < parts; ++i) {
    encrypt_zero_sk(*ctx_, sk.s, basis, xof, k.b[i], k.a[i]);
    // Add P * s' on limb i only: P * (CRT idempotent of q_i) is P mod q_i there
    // and 0 mod every other prime (including P itself).
    const auto& qi = basis.modulus(i);
    math::MulOperand pw(qi.reduce(p), qi);
    u64* bi = k.b[i].limb(i);
    const u64* fi = from.limb(i);
    for (std::size_t j = 0; j < basis.n(); ++j) {
      bi[j] = math::add_mod(bi[j], math::mul_shoup(fi[j], pw, qi), qi);
    }
  }
  return k;
}

RelinKey KeyGenerator::relin_key(const SecretKey& sk) const {
  check(sk);
  RnsPoly s2;
  ring::multiply(sk.s, sk.s, s2, ctx_->key_basis());
  RelinKey rk{switch_key(s2, sk)};
  s2.secure_zero();
  return rk;
}

GaloisKeys KeyGenerator::galois_keys(const SecretKey& sk,
                                     const std::vector<std::uint64_t>& galois_elts) const {
  check(sk);
  GaloisKeys gk;
  gk.param_id = ctx_->id();
  const auto& basis = ctx_->key_basis();
  for (u64 g : galois_elts) {
    math::check_galois_elt(g, ctx_->n(), "galois_keys");
    if (gk.has(g)) continue;
    const auto& perm = ctx_->galois_permutation(g);
    RnsPoly sg(basis.n(), basis.size(), Form::kEval);
    for (std::size_t i = 0; i < basis.size(); ++i) {
      math::apply_galois_ntt(sk.s.limb(i), sg.limb(i), perm, basis.n());
    }
    gk.keys.emplace(g, switch_key(sg, sk));
    sg.secure_zero();
  }
  return gk;
}

}  // namespace veil::rlwe
